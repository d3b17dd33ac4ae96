/**
 * The body of the inference worker thread.
 *
 * Why a worker: onnxruntime-node's `session.run` returns a promise but runs the graph
 * synchronously on the calling thread (its binding is "a simple synchronized inference session";
 * the promise only defers the call with setImmediate), so a batch on the main thread would stall
 * decoding, timers and HTTP for its whole duration.
 *
 * Why a source string (`eval: true`) rather than a module file: the same code then runs from the
 * TypeScript sources (vitest, tsx) and from the compiled package on Node 20 and 24 — a `.ts`
 * worker file needs a loader that Node 20 workers do not inherit. The script loads ONNX Runtime
 * by the absolute path the parent resolved, so it does not depend on the working directory.
 *
 * Float16Array is hidden from ONNX Runtime here: where the platform has it (Node 24),
 * onnxruntime-common 1.30 wraps float16 data in it, and the native binding then reads the tensor
 * as empty ("not enough space"). Without it, float16 data stays the Uint16Array bit patterns the
 * binding reads and writes — which is also what the parent sends and expects.
 *
 * Protocol (one reply per request, matched by `id`):
 *   {type:"load", id, session, path, options} → {id, ok, result: {inputs, outputs}}
 *   {type:"run", id, session, feeds: {name: {type, data, dims}}, outputs: [name]} → {id, ok, result: {name: {type, data, dims}}}
 *   any failure → {id, ok: false, message}
 */
export const WORKER_SCRIPT = String.raw`
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
delete globalThis.Float16Array;
const ort = require(workerData.onnxRuntimePath);
const sessions = new Map();

async function handle(message) {
  switch (message.type) {
    case "load": {
      const session = await ort.InferenceSession.create(message.path, message.options);
      sessions.set(message.session, session);
      return { result: { inputs: session.inputMetadata, outputs: session.outputNames } };
    }
    case "run": {
      const session = sessions.get(message.session);
      if (!session) throw new Error("no session " + message.session);
      const feeds = {};
      for (const [name, tensor] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor(tensor.type, tensor.data, tensor.dims);
      const outputs = await session.run(feeds, message.outputs);
      const result = {};
      for (const name of message.outputs) {
        const tensor = outputs[name];
        result[name] = { type: tensor.type, data: tensor.data, dims: Array.from(tensor.dims) };
      }
      return { result };
    }
    default:
      throw new Error("unknown request " + message.type);
  }
}

parentPort.on("message", (message) => {
  handle(message).then(
    (reply) => parentPort.postMessage({ id: message.id, ok: true, result: reply.result }),
    (error) => parentPort.postMessage({ id: message.id, ok: false, message: error && error.message ? error.message : String(error) }),
  );
});
`;
