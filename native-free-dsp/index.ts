export * from './dtmf-tones.js';
export * from './levels.js';
export * from './tone-generator.js';
export * from './dtmf-detector.js';
export * from './g722.js';
export * from './dtmf-candidate.js';
