import Loader
import PoseData
import Torch

extension Batch {
    /// The images as `[B, 3, H, W]` float32 in 0…1 on `device`, channels-last in memory.
    public func imageTensor(on device: Device = .cpu) -> Tensor {
        Tensor.images(interleaved: pixels, count: count, height: height, width: width, device: device)
    }

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
    /// 0…1 on `device`, whose memory stays in that order (channels-last, NHWC): the layout oneDNN's
    /// convolutions work in, so neither the network nor the caller transposes the images (and a
    /// training step in channels-last took 8–10% less time than in NCHW here). For a GPU the bytes
    /// go into pinned host memory, cross without blocking the host, and become floats there: a
    /// quarter of the bytes of float32 cross the bus, and the host is free to prepare the next batch.
    static func images(interleaved pixels: [UInt8], count: Int, height: Int, width: Int, device: Device = .cpu) -> Tensor {
        let onGPU = device != .cpu
        let bytes = pixels.withUnsafeBytes { bytes in
            // the sizes match by construction
            try! Tensor(bytes: bytes, shape: [count, height, width, 3], dtype: .uint8, pinned: onGPU)
        }
        let uploaded = onGPU ? bytes.to(device, nonBlocking: true) : bytes
        return uploaded.permuted([0, 3, 1, 2]).to(.float32) / 255
    }
}
