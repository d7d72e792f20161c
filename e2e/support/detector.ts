// The service's own detector in the test process: the model, file and options the detector
// service is configured with (FACEBLUR_MODEL, FACEBLUR_MODEL_PATH, thresholds, tiling), so a test
// finds the faces the service is meant to find.
import { createDetector, detectorOptions, loadDetectorConfig, MODELS, openModel, type Detector } from '@faceblur/detector'

export async function openServiceDetector (): Promise<{ detector: Detector, release: () => Promise<void> }> {
  const config = loadDetectorConfig(process.env)
  const session = await openModel(config.FACEBLUR_MODEL_PATH, 'cpu', { family: MODELS[config.FACEBLUR_MODEL] })
  return { detector: createDetector(session, config.FACEBLUR_MODEL, detectorOptions(config)), release: async () => { await session.release() } }
}
