export * from './server.js';
export { runEmulatorCommand, loadOrCreateManagementKey, type EmulatorCommandOptions } from './main.js';
export { DEFAULT_WORKSPACE_ID, generateOpenRouterKey } from './key-store.js';
export { faultConfigSchema, scriptedFaultSchema, type ActiveFaults } from './faults.js';
