/**
 * A child process of parallel accuracy-sample collection (search/sample_pool.ts): opens the
 * supernet and its evaluation data as the parent did, then evaluates the subnets it is sent,
 * one at a time, answering each with its top-1.
 */
import { initBackend, isInputError } from '../tensor/index.js';
import type { Arch } from '../space/index.js';
import { evaluationData, searchSpaceOf, openSearchSupernet, SupernetEvaluator } from './evaluation.js';
import type { ParentMessage, WorkerMessage } from './sample_pool.js';

let evaluator: SupernetEvaluator | undefined;

function send(m: WorkerMessage): void {
  process.send!(m);
}

async function handle(m: ParentMessage): Promise<void> {
  if (m.type === 'init') {
    await initBackend(m.backend);
    const supernet = openSearchSupernet(m.supernet);
    evaluator = new SupernetEvaluator(searchSpaceOf(supernet), supernet, evaluationData(m.supernet), m.options);
    send({ type: 'ready', source: evaluator.data.source, valImages: evaluator.valImages });
  } else if (m.type === 'evaluate') {
    const started = performance.now();
    const arch: Arch = { space: evaluator!.space.space, choices: m.choices };
    const top1 = evaluator!.top1(arch);
    send({ type: 'result', index: m.index, top1, seconds: (performance.now() - started) / 1000 });
  } else {
    process.disconnect();
  }
}

process.on('message', (m: ParentMessage) => {
  handle(m).catch((e: unknown) => {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e), input: isInputError(e) });
    process.disconnect();
  });
});
