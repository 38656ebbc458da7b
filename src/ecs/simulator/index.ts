export { EcsSimulator } from './server';
export { demoTasks, loadScenario, ScenarioError } from './scenarios';
export { runSimulator } from './main';
export { REGION_IDS } from './types';
export type { SimCall, SimCredential, SimFault, SimOperation, SimResource, SimStep, SimTask, SimulatorOptions } from './types';
