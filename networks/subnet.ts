import { copyActiveWeights, RandomMutator, withoutInit, type Arch } from '../space/index.js';
import { OFAMobileNetV3 } from './ofa_mbv3.js';

/**
 * A static network holding exactly the sizes `arch` chooses, with the weights it inherits
 * from the supernet (transformed kernels, first channels, kept blocks). Leaves the
 * supernet set to `arch`.
 */
export function buildSubnet(supernet: OFAMobileNetV3, arch: Arch): OFAMobileNetV3 {
  const mutator = new RandomMutator(supernet);
  mutator.sampleByMask(arch);
  const subnet = withoutInit(() => new OFAMobileNetV3({ ...supernet.options, mask: mutator.masks() }));
  copyActiveWeights(supernet, subnet);
  subnet.train(supernet.training);
  return subnet;
}
