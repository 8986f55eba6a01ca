export { DEMO_PROJECT, type DemoOptions, type DemoResult, runDemo } from './runDemo.js';
export { type SimulatedProvider, startSimulatedProvider } from './simulatedProvider.js';
