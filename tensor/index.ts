export { initBackend, activeBackend, resolveBackendName, BACKENDS, loadGradients, requireGradients } from './backend.js';
export type { BackendName, BackendInfo } from './backend.js';
export { registerTrainingKernels, trainingKernelFactories } from './kernels/index.js';
export { InputError, isInputError, zodInputError } from './errors.js';
export { Rng } from './random.js';
export { HBX_VERSION, packageRoot } from './package_info.js';
export { readInputFile } from './files.js';
export { diagnoseBackends } from './doctor.js';
export type { BackendDiagnosis, Diagnosis } from './doctor.js';
