"""Drives Roboflow's Python SDK (vendored in test/fixtures/inference-sdk) against `sightline serve`.

Called by python-sdk.test.ts with the path of a JSON file:
  {"url", "api_key" (null: an open server), "image", "video", "clip_workflow", "pipeline_workflow",
   "buffer_workflow"}
It calls every SDK method sightline supports — with each key transport when the server has a
key — plus the methods that need Roboflow's cloud, and prints one JSON object: what each call
returned (or the error it raised), for the TypeScript test to check. It asserts nothing itself.
With "only": "pipelines" in the file, it calls only the pipeline methods (a cluster's test):
{"pipeline": …, "calls": n}.
"""

import asyncio
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
from PIL import Image

from inference_sdk import InferenceConfiguration, InferenceHTTPClient
from inference_sdk.http.errors import HTTPCallErrorError

with open(sys.argv[1]) as config_file:
    CONFIG = json.load(config_file)
CALLS = 0


def sdk(method, *args, **kwargs):
    """One SDK call: its result, or what it raised (type, HTTP status, the SDK's message)."""
    global CALLS
    CALLS += 1
    try:
        answer = method(*args, **kwargs)
        # get_server_info answers a dataclass
        return {"ok": answer.to_dict() if hasattr(answer, "to_dict") else answer}
    except HTTPCallErrorError as error:
        return {"error": type(error).__name__, "status": error.status_code, "message": error.api_message}
    except Exception as error:  # the test shows it as it is
        return {"error": type(error).__name__, "message": str(error)}


def value(result):
    if "ok" not in result:
        raise RuntimeError(f"SDK call failed: {result}")
    return result["ok"]


def serve_image(path):
    """The image over HTTP on 127.0.0.1, for the URL form (the SDK downloads it itself)."""
    with open(path, "rb") as file:
        body = file.read()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/image.png"


def wait_for(what, condition, limit_s=30):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def image_forms():
    """The one test image as each form the SDK takes: numpy (BGR, as OpenCV), PIL, path, URL, base64."""
    path = CONFIG["image"]
    with open(path, "rb") as file:
        encoded = base64.b64encode(file.read()).decode("ascii")
    return {
        "numpy": cv2.imread(path),
        "pil": Image.open(path).convert("RGB"),
        "path": path,
        "url": serve_image(path),
        "base64": encoded,
    }


def supported_methods(client, forms, transport):
    """Every method sightline serves, with what it answered."""
    out = {}
    out["server_info"] = sdk(client.get_server_info)

    out["clip_image_path"] = sdk(client.get_clip_image_embeddings, forms["path"])
    # One request with three images: the server's batch form (the SDK splits the answer).
    batched = InferenceConfiguration(max_batch_size=8, api_key_transport=client.inference_configuration.api_key_transport)
    with client.use_configuration(batched):
        out["clip_image_batch"] = sdk(client.get_clip_image_embeddings, [forms["path"], forms["numpy"], forms["pil"]])
    out["clip_text"] = sdk(client.get_clip_text_embeddings, "a photo of a cat")
    out["clip_text_batch"] = sdk(client.get_clip_text_embeddings, ["a photo of a cat", "a photo of a dog"])
    out["clip_text_version"] = sdk(client.get_clip_text_embeddings, "a photo of a cat", clip_version="ViT-B-32")
    out["compare_image_to_texts"] = sdk(client.clip_compare, subject=forms["path"], prompt=["a photo of a cat", "a photo of a dog"])
    out["compare_text_to_image"] = sdk(client.clip_compare, subject="a photo of a cat", subject_type="text", prompt=forms["path"], prompt_type="image")
    out["compare_named"] = sdk(client.clip_compare, subject=forms["path"], prompt={"cat": "a photo of a cat", "dog": "a photo of a dog"})
    # The same through aiohttp.
    out["clip_image_async"] = sdk(lambda: asyncio.run(client.get_clip_image_embeddings_async(forms["path"])))
    out["clip_text_async"] = sdk(lambda: asyncio.run(client.get_clip_text_embeddings_async("a photo of a cat")))
    out["compare_async"] = sdk(lambda: asyncio.run(client.clip_compare_async(subject=forms["path"], prompt=["a photo of a cat", "a photo of a dog"])))

    workflow = CONFIG["clip_workflow"]
    images = [forms[form] for form in ("numpy", "pil", "path", "url", "base64")]
    out["run_workflow_forms"] = sdk(client.run_workflow, specification=workflow, images={"image": images})
    out["infer_from_workflow"] = sdk(client.infer_from_workflow, specification=workflow, images={"image": forms["path"]})

    session = f"sdk-{transport}"
    buffer = CONFIG["buffer_workflow"]
    out["session"] = [sdk(client.run_workflow, specification=buffer, parameters={"session_id": session, "value": n}) for n in (1, 2)]

    out["pipeline"] = pipeline_methods(client)
    return out


def pipeline_methods(client):
    out = {}
    started = sdk(
        client.start_inference_pipeline_with_workflow,
        video_reference=CONFIG["video"],
        workflow_specification=CONFIG["pipeline_workflow"],
        max_fps=30,
    )
    out["start"] = started
    pipeline_id = value(started)["context"]["pipeline_id"]
    out["list"] = sdk(client.list_inference_pipelines)
    out["status"] = sdk(client.get_inference_pipeline_status, pipeline_id)
    consumed = []

    def some_frames():
        result = sdk(client.consume_inference_pipeline_result, pipeline_id, excluded_fields=["embedding"])
        consumed.append(result)
        return len(value(result)["outputs"]) > 0

    wait_for("consumed frames", some_frames)
    out["consume"] = consumed[-1]
    out["consume_calls"] = len(consumed)
    # Paused once frames have come: its source is open, so the report describes it fully.
    out["pause"] = sdk(client.pause_inference_pipeline, pipeline_id)
    out["status_paused"] = sdk(client.get_inference_pipeline_status, pipeline_id)
    out["resume"] = sdk(client.resume_inference_pipeline, pipeline_id)
    out["status_resumed"] = sdk(client.get_inference_pipeline_status, pipeline_id)
    out["terminate"] = sdk(client.terminate_inference_pipeline, pipeline_id)
    out["list_after"] = sdk(client.list_inference_pipelines)
    out["pipeline_id"] = pipeline_id
    return out


def cloud_methods(client, forms):
    """Methods that need Roboflow's cloud: each must fail saying what to do instead."""
    video = CONFIG["video"]
    return {
        "infer": sdk(client.infer, forms["path"], model_id="my-project/3"),
        "run_workflow_by_id": sdk(client.run_workflow, workspace_name="acme", workflow_id="detect-people", images={"image": forms["path"]}),
        "start_pipeline_by_id": sdk(client.start_inference_pipeline_with_workflow, video_reference=video, workspace_name="acme", workflow_id="detect-people"),
        "yolo_world": sdk(client.infer_from_yolo_world, forms["path"], class_names=["person"]),
    }


def failing_pipeline(client):
    """A pipeline whose only source cannot be opened: it ends at once, and the server logs it as failed."""
    started = sdk(client.start_inference_pipeline_with_workflow, video_reference=CONFIG["video"] + ".missing.mp4", workflow_specification=CONFIG["clip_workflow"])
    pipeline_id = value(started)["context"]["pipeline_id"]

    def ended():
        status = sdk(client.get_inference_pipeline_status, pipeline_id)
        return status if value(status)["report"]["state"] in ("finished", "failed") else None

    return {"pipeline_id": pipeline_id, "status": wait_for("the pipeline to end", ended)}


def client_for(api_key, transport):
    """`transport` None: the SDK's default (the legacy channels: body and query)."""
    client = InferenceHTTPClient(api_url=CONFIG["url"], api_key=api_key)
    return client.configure(InferenceConfiguration(api_key_transport=transport))


def main():
    key = CONFIG["api_key"]
    if CONFIG.get("only") == "pipelines":
        pipeline = pipeline_methods(client_for(key, None))
        json.dump({"pipeline": pipeline, "calls": CALLS}, sys.stdout, default=str)
        return
    forms = image_forms()
    result = {"transports": {}}
    if key is None:
        client = client_for(None, None)
        result["transports"]["default"] = supported_methods(client, forms, "default")
        result["cloud"] = cloud_methods(client, forms)
        result["failing_pipeline"] = failing_pipeline(client)
    else:
        for transport in ("legacy", "header"):
            result["transports"][transport] = supported_methods(client_for(key, transport), forms, transport)
        result["cloud"] = cloud_methods(client_for(key, "header"), forms)
        result["wrong_key"] = {transport: sdk(client_for(key + "-typo", transport).list_inference_pipelines) for transport in ("legacy", "header")}
        result["missing_key"] = sdk(client_for(None, "legacy").get_clip_text_embeddings, "a photo of a cat")
        result["server_info_without_key"] = sdk(client_for(None, "legacy").get_server_info)
    result["calls"] = CALLS
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main()
