#!/usr/bin/env python3
"""Independent reference decoding of YOLOv8-face for the detector's tests.

Written from the model's documented layout (models/README.md), not from the TypeScript code:
Pillow letterbox, onnxruntime, numpy decoding and NMS. Run once; its output is committed as
test/fixtures/reference-boxes.json and the detector's boxes must match it (IoU >= 0.9).

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install onnxruntime numpy pillow
    /tmp/ref/bin/python yolov8_reference.py MODEL.onnx > ../test/fixtures/reference-boxes.json
"""
import io
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[3]
CONF, IOU, SIZE = 0.25, 0.45, 640


def images():
    seed = Image.open(ROOT.parent / "shared/fixtures/seed_test.jpg")
    yield "seed_test.jpg", seed
    yield "astronaut.png", Image.open(ROOT / "e2e/fixtures/astronaut.png")
    yield "seed_test.jpg@800x490", seed.resize((800, 490), Image.BILINEAR)


def letterbox(img):
    w, h = img.size
    scale = min(SIZE / w, SIZE / h)
    rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
    px, py = (SIZE - rw) // 2, (SIZE - rh) // 2
    canvas = Image.new("RGB", (SIZE, SIZE), (114, 114, 114))
    canvas.paste(img.resize((rw, rh), Image.BILINEAR), (px, py))
    x = np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1)[None] / 255.0
    return x, scale, px, py


def nms(boxes, scores):
    order = scores.argsort()[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        iou = inter / (area(boxes[i]) + area(boxes[order[1:]]) - inter)
        order = order[1:][iou <= IOU]
    return keep


def detect(session, img):
    img = ImageOps.exif_transpose(img).convert("RGB")
    x, scale, px, py = letterbox(img)
    out = session.run(None, {session.get_inputs()[0].name: x})[0][0]  # (5, anchors)
    cx, cy, w, h, score = out
    mask = score >= CONF
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)[mask]
    scores = score[mask]
    keep = nms(boxes, scores)
    result = []
    for i in keep:
        b = boxes[i].copy()
        b[[0, 2]] = np.clip((b[[0, 2]] - px) / scale, 0, img.width)
        b[[1, 3]] = np.clip((b[[1, 3]] - py) / scale, 0, img.height)
        result.append({"box": [int(round(v)) for v in b], "score": round(float(scores[i]), 4)})
    return {"width": img.width, "height": img.height, "faces": sorted(result, key=lambda f: f["box"][0])}


def main():
    session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
    out = {"generator": f"reference/yolov8_reference.py, onnxruntime {ort.__version__}, conf {CONF}, iou {IOU}", "images": {}}
    for name, img in images():
        out["images"][name] = detect(session, img)
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
