/**
 * The Slack incoming-webhook message of an event: `text` (notifications, and clients without
 * blocks) and Block Kit `blocks` (headline, details, destinations, link to the run). Labels only,
 * never keys; Slack's mrkdwn control characters in our text are escaped.
 */
import type { EventType, LifecycleEvent } from './event-types.js';
import { eventDetails, eventHeadline } from './event-summary.js';

const EMOJI: Record<EventType, string> = {
  'rotation.started': ':arrows_counterclockwise:',
  'rotation.succeeded': ':white_check_mark:',
  'rotation.failed': ':rotating_light:',
  'rotation.rolled_back': ':leftwards_arrow_with_hook:',
  'rotation.held': ':hourglass_flowing_sand:',
  'rotation.paused': ':double_vertical_bar:',
  'rotation.resumed': ':arrow_forward:',
  'rotation.skipped': ':fast_forward:',
  'key.expiring': ':warning:',
};

type TextObject = { type: 'mrkdwn' | 'plain_text'; text: string };
export type SlackBlock = { type: 'section'; text: TextObject } | { type: 'context'; elements: TextObject[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's mrkdwn escaping: &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(event: LifecycleEvent): SlackMessage {
  const headline = `${EMOJI[event.type]} ${escape(eventHeadline(event))}`;
  const blocks: SlackBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*` } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: eventDetails(event)
          .map((d) => `• ${escape(d)}`)
          .join('\n'),
      },
    },
  ];
  if (event.data.destinations.length > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `destinations: ${event.data.destinations.map(escape).join(', ')}` }],
    });
  }
  const run = event.data.webUiUrl
    ? `<${event.data.webUiUrl}|run ${escape(event.data.runId)}>`
    : `run ${escape(event.data.runId)}`;
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${run} · ${event.time} · ${event.id}` }],
  });
  return { text: headline, blocks };
}

/** The message as a person reads it in Slack, as plain lines (for review and the test fixture). */
export function slackMessageAsText(message: SlackMessage): string {
  const lines = [`text: ${message.text}`];
  for (const block of message.blocks) {
    if (block.type === 'section') lines.push(block.text.text);
    else lines.push(...block.elements.map((e) => `  ${e.text}`));
  }
  return `${lines.join('\n')}\n`;
}
