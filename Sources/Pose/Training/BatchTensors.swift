import PoseData
import Torch

extension Batch {
    /// The images as `[B, 3, H, W]` float32 in 0…1.
    public func imageTensor() -> Tensor {
        pixels.withUnsafeBytes { bytes in
            try! Tensor(bytes: bytes, shape: [count, 3, height, width], dtype: .uint8)  // the shape matches by construction
        }.to(.float32) / 255
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
