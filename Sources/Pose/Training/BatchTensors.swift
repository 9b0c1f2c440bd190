import PoseData
import Torch

extension Batch {
    /// The images as `[B, 3, H, W]` float32 in 0…1, channels-last in memory.
    public func imageTensor() -> Tensor { Tensor.images(interleaved: pixels, count: count, height: height, width: width) }

    /// The labels in the loss's collated form.
    public func targets(keypointDimensions: Int) -> PoseTargets {
        var targets = PoseTargets()
        for (image, objects) in instances.enumerated() {
            for object in objects {
                let box = object.box
                let keypoints = object.keypoints.flatMap { point -> [Float] in
                    keypointDimensions == 3 ? [Float(point.x), Float(point.y), Float(point.visibility)] : [Float(point.x), Float(point.y)]
                }
                targets.append(
                    image: image, classIndex: object.classIndex,
                    box: [Float(box.centerX), Float(box.centerY), Float(box.width), Float(box.height)], keypoints: keypoints)
            }
        }
        return targets
    }
}

extension Tensor {
    /// `count` images of interleaved RGB bytes (`[B, H, W, 3]`) as a `[B, 3, H, W]` float32 tensor in
    /// 0…1 whose memory stays in that order (channels-last, NHWC): the layout oneDNN's
    /// convolutions work in, so neither the network nor the caller transposes the images (and a
    /// training step in channels-last took 8–10% less time than in NCHW here).
    static func images(interleaved pixels: [UInt8], count: Int, height: Int, width: Int) -> Tensor {
        let bytes = pixels.withUnsafeBytes { bytes in
            try! Tensor(bytes: bytes, shape: [count, height, width, 3], dtype: .uint8)  // the sizes match by construction
        }
        return bytes.permuted([0, 3, 1, 2]).to(.float32) / 255
    }
}
