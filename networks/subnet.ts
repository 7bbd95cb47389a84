import { copyActiveWeights, RandomMutator, withoutInit, type AnyModule, type Arch, type MaskDict } from '../space/index.js';
import { OFAMobileNetV3 } from './ofa_mbv3.js';

/**
 * The static network `build` makes from the masks of `arch` (every space fixed, so it holds
 * only what the arch uses), with the weights it inherits from the supernet (transformed
 * kernels, first channels, kept blocks and operations). Leaves the supernet set to `arch`.
 */
export function fixedSubnet<M extends AnyModule>(supernet: AnyModule, arch: Arch, build: (mask: MaskDict) => M): M {
  const mutator = new RandomMutator(supernet);
  mutator.sampleByMask(arch);
  const subnet = withoutInit(() => build(mutator.masks()));
  copyActiveWeights(supernet, subnet);
  subnet.train(supernet.training);
  return subnet;
}

/** An ofa-mbv3 subnet with its inherited weights (see fixedSubnet). */
export function buildSubnet(supernet: OFAMobileNetV3, arch: Arch): OFAMobileNetV3 {
  return fixedSubnet(supernet, arch, (mask) => new OFAMobileNetV3({ ...supernet.options, mask }));
}
