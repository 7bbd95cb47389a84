import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  countEmitted,
  FixedArchitecture,
  fixedSubnet,
  Linear,
  Module,
  OperationSpace,
  registerSpace,
  type AnyModule,
  type Emittable,
  type GraphEmitter,
  type MaskDict,
  type SpaceDefinition,
} from '../../index.js';

/**
 * A space defined outside hbx, as a user would write one: no latency blocks declared. Per
 * layer one of conv 3x3, conv 5x5, average pool 3x3 or a squeeze-and-excite gate; a stride-2
 * conv doubles the channels between the two stages.
 */
export interface TinyOptions {
  channels: number;
  layersPerStage: number;
  inputChannels: number;
  numClasses: number;
  resolution: number;
  mask?: MaskDict;
}

class ConvBnRelu extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, k: number, stride = 1) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(cin, cout, k, { stride }));
    this.bn = this.registerModule('bn', new BatchNorm2d(cout));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(this.bn.forward(this.conv.forward(x)));
  }

  emit(e: GraphEmitter, x: string, name: string): string {
    return e.activation(e.conv(x, this.conv, this.bn, name), 'relu');
  }
}

class Pool extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.avgPool(x as tf.Tensor4D, 3, 1, 'same');
  }

  emit(e: GraphEmitter, x: string): string {
    return e.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 });
  }
}

class Gate extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, tf.sigmoid(tf.mean(x, [1, 2], true)));
  }

  emit(e: GraphEmitter, x: string): string {
    return e.node('Mul', [x, e.node('Sigmoid', [e.node('GlobalAveragePool', [x])])]);
  }
}

export class TinyUserNet extends Module implements Emittable {
  readonly spaceId = 'tiny-user';
  readonly stem: ConvBnRelu;
  readonly layers: (OperationSpace | ConvBnRelu)[] = [];
  readonly classifier: Linear;

  constructor(readonly options: TinyOptions) {
    super();
    const o = options;
    this.stem = this.registerModule('stem', new ConvBnRelu(o.inputChannels, o.channels, 3));
    let c = o.channels;
    for (let stage = 0; stage < 2; stage++) {
      if (stage > 0) {
        this.layers.push(this.registerModule(`layers.${this.layers.length}`, new ConvBnRelu(c, 2 * c, 3, 2)));
        c *= 2;
      }
      for (let i = 0; i < o.layersPerStage; i++) {
        const key = `s${stage}l${i}`;
        const candidates = { conv3: new ConvBnRelu(c, c, 3), conv5: new ConvBnRelu(c, c, 5), pool: new Pool(), gate: new Gate() };
        this.layers.push(this.registerModule(`layers.${this.layers.length}`, new OperationSpace(candidates, { key, mask: o.mask })));
      }
    }
    this.classifier = this.registerModule('classifier', new Linear(c, o.numClasses));
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = this.stem.forward(x);
    for (const layer of this.layers) y = layer.forward(y) as tf.Tensor;
    return this.classifier.forward(tf.mean(y, [1, 2]));
  }

  emit(e: GraphEmitter, x: string): string {
    let y = this.stem.emit(e, x, 'stem');
    this.layers.forEach((layer, i) => {
      const chosen = layer instanceof OperationSpace ? (layer.candidate(layer.choice as string) as AnyModule & Emittable) : layer;
      y = chosen.emit(e, y, `layers.${i}`);
    });
    return e.linear(e.node('GlobalAveragePool', [y]), this.classifier, 'classifier', 'logits');
  }
}

export const TINY_DEFAULTS: TinyOptions = { channels: 8, layersPerStage: 2, inputChannels: 1, numClasses: 10, resolution: 16 };

export const TINY_USER_SPACE: SpaceDefinition<TinyUserNet> = {
  id: 'tiny-user',
  description: 'a user-defined test space: 2 stages of 2 layers, each conv 3x3, conv 5x5, pool or gate',
  create: (options) => new TinyUserNet({ ...TINY_DEFAULTS, ...(options as Partial<TinyOptions>) }),
  optionsFor: (d) => ({ inputChannels: d.channels, numClasses: d.classes, resolution: d.size }),
  config: (m) => {
    const { resolution, ...options } = m.options;
    return { options, resolutions: [resolution] };
  },
  withResolutions: (m, resolutions) => new TinyUserNet({ ...m.options, resolution: resolutions[0] }),
  cost: (m, arch) => {
    new FixedArchitecture(m, arch);
    return countEmitted(m, m.options.inputChannels, m.options.resolution);
  },
  subnet: (supernet, arch) => fixedSubnet(supernet, arch, (mask) => new TinyUserNet({ ...supernet.options, mask })),
  io: (m) => ({ channels: m.options.inputChannels, resolution: m.options.resolution, classes: m.options.numClasses }),
};

registerSpace(TINY_USER_SPACE);
