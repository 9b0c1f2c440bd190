"""Checks an ONNX file with onnx's checker (full check, with shape inference) and runs it in
onnxruntime on raw float32 input; writes the first output as raw float32 and prints one JSON object:
the graph's inputs and outputs as onnxruntime sees them, the output's shape, and the metadata.

usage: run_onnx.py MODEL.onnx INPUT.f32 B,C,H,W OUTPUT.f32
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime

model_path, input_path, shape, output_path = sys.argv[1:5]
onnx.checker.check_model(onnx.load(model_path), full_check=True)
session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
images = np.fromfile(input_path, dtype=np.float32).reshape([int(n) for n in shape.split(",")])
(output,) = session.run(None, {session.get_inputs()[0].name: images})
output.astype(np.float32).tofile(output_path)


def described(values):
    return [{"name": v.name, "shape": v.shape, "type": v.type} for v in values]


print(json.dumps({
    "inputs": described(session.get_inputs()),
    "outputs": described(session.get_outputs()),
    "shape": list(output.shape),
    "metadata": session.get_modelmeta().custom_metadata_map,
}))
