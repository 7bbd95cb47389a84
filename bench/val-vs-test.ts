// How far the validation split (5,000 held-out training images, which the search selects on)
// and the 10,000-image test set agree, per input resolution: the largest and smallest subnets
// at 24x24 and 28x28, BN recalibrated as finalists are, top-1 on 5,000 training images the
// supernet trained on, on the validation split and on the test set.
//   npx tsx bench/val-vs-test.ts
import { initBackend } from '../tensor/index.js';
import { evaluationData, searchSpaceOf, openSearchSupernet } from '../search/index.js';
import { buildSubnet, FIRST_SUPERNET, OFAMobileNetV3 } from '../networks/index.js';
import { evaluateTop1, recalibrateBatchNorm } from '../train/index.js';
import { getDataset, subset, type ImageDataset } from '../datasets/index.js';

await initBackend('wasm');
const supernet = openSearchSupernet(FIRST_SUPERNET) as OFAMobileNetV3;
const space = searchSpaceOf(supernet);
const data = evaluationData(FIRST_SUPERNET);
const test = getDataset('fashion-mnist').load('test');
const seen = subset(data.recalibration, Uint32Array.from({ length: 5000 }, (_, i) => i * 11));
for (const which of ['largest', 'smallest'] as const) {
  for (const resolution of [24, 28]) {
    const arch = space.toArch(which === 'largest' ? space.largest() : space.smallest());
    arch.choices.resolution = resolution;
    const subnet = buildSubnet(supernet, arch);
    const batch = { mean: data.mean, std: data.std, resolution };
    recalibrateBatchNorm(subnet, data.recalibration, { ...batch, images: 2000 });
    const top1 = (d: ImageDataset) => evaluateTop1(subnet, d, batch).top1 * 100;
    const [t, v, s] = [top1(seen), top1(data.val), top1(test)];
    console.log(`${which} ${resolution}x${resolution}: trained-on ${t.toFixed(2)}%, validation ${v.toFixed(2)}%, test ${s.toFixed(2)}% (validation - test ${(v - s).toFixed(2)} points)`);
    subnet.dispose();
  }
}
