"""Statically quantizes the YOLOv8-face model to INT8 with onnxruntime's own tools.

    python quantize.py FP32.onnx OUT.onnx PHOTO [PHOTO ...]

Calibration: the photos and 2×2 and 3×3 mosaics of the first, each fed as whole images letterboxed
to 640 px and as tiles of 640, 1280 and 2560 px with 25 % overlap, each letterboxed: faces at many
scales, as the detector's pyramid shows them. (Tiles of 960, 1920 and 3840 px, the detector's own
sizes, were tried too: their model found every face but gave the 3×3 mosaic 20 boxes for 18 faces.)
Weights per channel as signed INT8, activations as unsigned INT8 (U8S8; QDQ format, MinMax ranges).
Its boxes on tiny faces depend a little on the CPU: x86 without VNNI (AVX2 only) multiplies u8×s8
with an instruction that saturates, and there the crowd of 40 px faces keeps 35 of 50 boxes within
IoU 0.9 of fp32's (44 on a VNNI machine), every one within 0.78. Signed activations (S8S8) keep 42
there but run at 160 CPU ms a 640 px pass on such a CPU, slower than fp32 (107), against 67 for
U8S8; 7-bit weights (reduce_range) keep 33 at 70 ms. Speed is the point of this model: U8S8.
The head's box decoding (the last Concat/Mul/Sigmoid… of /model.22/) stays in float: it turns
anchors into pixel coordinates, where 8-bit steps would move every box. So do the head's last 1×1
convolutions (cv2.*.2, cv3.*.2, the box distributions and scores): no measurable cost, and on the
crowd of 40 px faces 44 of 50 boxes within IoU 0.9 of fp32's instead of 37.
"""
import sys

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image

SIZE = 640
GREY = (114, 114, 114)  # the detector's letterbox colour
DECODING_OPS = {'Concat', 'Sub', 'Add', 'Div', 'Mul', 'Sigmoid', 'Softmax', 'Reshape', 'Transpose', 'Split', 'Slice'}


def letterboxed(image):
    scale = min(SIZE / image.width, SIZE / image.height)
    width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    canvas = Image.new('RGB', (SIZE, SIZE), GREY)
    canvas.paste(image.resize((width, height), Image.BILINEAR), ((SIZE - width) // 2, (SIZE - height) // 2))
    return (np.asarray(canvas, dtype=np.float32) / 255.0).transpose(2, 0, 1)[None]


def views(image):
    yield letterboxed(image)
    for tile in (640, 1280, 2560):
        if tile >= max(image.width, image.height):
            continue
        step = tile * 3 // 4
        for left in range(0, max(1, image.width - tile + step), step):
            for top in range(0, max(1, image.height - tile + step), step):
                yield letterboxed(image.crop((left, top, min(image.width, left + tile), min(image.height, top + tile))))


def mosaic(image, n):
    out = Image.new('RGB', (image.width * n, image.height * n))
    for i in range(n):
        for j in range(n):
            out.paste(image, (i * image.width, j * image.height))
    return out


class Views(CalibrationDataReader):
    def __init__(self, images):
        self.tensors = iter([{'images': tensor} for image in images for tensor in views(image)])

    def get_next(self):
        return next(self.tensors, None)


def main(fp32, out, photos):
    images = [Image.open(path).convert('RGB') for path in photos]
    images += [mosaic(images[0], 2), mosaic(images[0], 3)]
    prepared = out + '.pre.onnx'
    quant_pre_process(fp32, prepared)
    graph = onnx.load(prepared).graph
    decoding = [node.name for node in graph.node if node.name.startswith('/model.22/')
                and (node.op_type in DECODING_OPS or (node.op_type == 'Conv' and node.name.endswith('.2/Conv')))]
    quantize_static(prepared, out, Views(images), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    nodes_to_exclude=decoding, calibrate_method=CalibrationMethod.MinMax)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
