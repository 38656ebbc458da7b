/** The EventBridge rule patterns hints need (docs/hints.md, step 2), built from the calls and states the hint parser acts on. */
import { FINAL_IMAGE_STATES, HINTED_CALLS } from '../hints/parse.js';

/** ActionTrail records of the calls that start a task; both spellings of source and type, since Alibaba Cloud's pages disagree. */
export const ACTIONTRAIL_RULE = {
  source: ['acs.ecs', 'acs.actiontrail'],
  type: ['ecs:ActionTrail:ApiCall', 'actiontrail:ActionTrail:ApiCall'],
  data: { eventName: Object.keys(HINTED_CALLS) },
};

/** Image state changes after which an import has nothing left to do. */
export const IMAGE_RULE = {
  source: ['acs.ecs'],
  type: ['ecs:Image:StateChange'],
  data: { content: { currentState: [...FINAL_IMAGE_STATES] } },
};
