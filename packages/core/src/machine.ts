// The pure token-state machine, for those who build their own runtime or test against it:
// `transition(state, event, policy)` returns the next state and the effects as data.
export { transition } from './machine/transition.js';
export type { TransitionResult } from './machine/transition.js';
export { initialState } from './machine/state.js';
export type { MachineState } from './machine/state.js';
export { defaultPolicy } from './machine/policy.js';
export type { MachineEvent } from './machine/events.js';
export type { Effect } from './machine/effects.js';
