export { rotationWorkflow } from './rotation-workflow.js';
export { scheduledRotationWorkflow } from './scheduled-rotation-workflow.js';
export { sweepWorkflow } from './sweep-workflow.js';
export { eventDeliveryWorkflow } from './event-delivery-workflow.js';
