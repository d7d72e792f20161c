export * from './app.js'
export * from './config.js'
export * from './task-view.js'
