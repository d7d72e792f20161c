export * from './blur.js'
export * from './geometry.js'
export * from './pipeline.js'
export * from './video-stage.js'
