export * from './blur.js'
export * from './geometry.js'
export * from './pipeline.js'
