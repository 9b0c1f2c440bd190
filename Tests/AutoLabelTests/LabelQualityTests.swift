import Foundation
import Pose
import PoseMetrics
import Testing

@testable import AutoLabel
@testable import Imaging
@testable import PoseData
@testable import Synth

/// A face of an asymmetric 3-point layout (left eye, right eye, and a nose off to one side) in a
/// 100-pixel-wide image; flip_idx swaps the eyes and keeps the nose.
func threePointFace(x: Float, score: Float = 0.9, nose: Float = 6) -> PoseDetection {
    PoseDetection(
        box: PixelBox(x1: x, y1: 10, x2: x + 20, y2: 30), score: score, classIndex: 0,
        keypoints: [
            PredictedKeypoint(x: x + 5, y: 15, confidence: 0.9), PredictedKeypoint(x: x + 15, y: 15, confidence: 0.8),
            PredictedKeypoint(x: x + nose, y: 25, confidence: 0.7),
        ])
}

/// What a model that sees perfectly finds on the mirrored image: the face at mirrored places, its
/// eyes swapped (the mirror's left eye is the image's right).
func mirror(_ face: PoseDetection, width: Float) -> PoseDetection {
    var result = face
    result.box = PixelBox(x1: width - face.box.x2, y1: face.box.y1, x2: width - face.box.x1, y2: face.box.y2)
    let flipped = face.keypoints.map { PredictedKeypoint(x: width - $0.x, y: $0.y, confidence: $0.confidence) }
    result.keypoints = [flipped[1], flipped[0], flipped[2]]
    return result
}

@Suite struct `Flip consistency` {
    let flip = FlipConsistency(flipIndex: [1, 0, 2], eyeCorners: EyeCorners(0, 1))

    @Test func `a mirrored view maps back through flip_idx and a perfect model disagrees by nothing`() {
        let face = threePointFace(x: 10)
        let seen = mirror(face, width: 100)
        #expect(seen.box.x1 == 70 && seen.keypoints[0].x == 75)  // the mirror's point 0 is the image's right eye (x 25), mirrored
        #expect(flip.unmirrored(seen, width: 100) == face)
        let pairs = flip.pairs([face], mirrored: [seen], width: 100)
        #expect(pairs.count == 1 && pairs[0].isPaired && pairs[0].disagreement == 0)
        #expect(flip.fused(pairs[0]) == face)
    }

    @Test func `disagreement is the mean point distance over the inter-ocular distance, and fusion weighs by confidence`() {
        let face = threePointFace(x: 10)
        var moved = face
        moved.keypoints[2].x += 3  // the nose 3 px off in the other view; eyes 10 px apart
        let pairs = flip.pairs([face], mirrored: [mirror(moved, width: 100)], width: 100)
        #expect(abs((pairs[0].disagreement ?? 0) - 0.1) < 1e-6)  // (0 + 0 + 3) / 3 / 10
        let fused = flip.fused(pairs[0])!
        #expect(abs(fused.keypoints[2].x - (face.keypoints[2].x + 1.5)) < 1e-5 && fused.keypoints[2].confidence == 0.7)
        // a point one view is unsure of takes no part
        var unsure = moved
        unsure.keypoints[2].confidence = 0.1
        #expect(flip.pairs([face], mirrored: [mirror(unsure, width: 100)], width: 100)[0].disagreement == 0)
    }

    @Test func `a face missing in one view stays alone, and overlapping faces pair with their own mirror`() {
        // IoU of a and b: 14·20 / (2·400 − 280) = 0.54
        let (a, b) = (threePointFace(x: 10, score: 0.9), threePointFace(x: 16, score: 0.8, nose: 12))
        let alone = threePointFace(x: 60, score: 0.95)
        let pairs = flip.pairs([a, b, alone], mirrored: [mirror(b, width: 100), mirror(a, width: 100)], width: 100)
        #expect(pairs.count == 3)
        #expect(pairs.filter(\.isPaired).allSatisfy { $0.original == $0.mirrored && $0.disagreement == 0 })
        // a face both views found scores their mean
        var shy = mirror(a, width: 100)
        shy.score = 0.6
        #expect(flip.pairs([a], mirrored: [shy], width: 100).map { abs($0.score - 0.75) < 1e-6 } == [true])
        let single = pairs.first { !$0.isPaired }
        #expect(single?.original == alone && single?.mirrored == nil && single?.disagreement == nil && single?.score == 0.95)
        // found only in the mirror: mapped back
        let onlyMirrored = flip.pairs([], mirrored: [mirror(alone, width: 100)], width: 100)
        #expect(onlyMirrored.count == 1 && onlyMirrored[0].mirrored == alone && onlyMirrored[0].original == nil)
    }
}

@Suite struct `Shape model` {
    /// A 5-point face (eyes, nose, mouth corners) moved, scaled and turned, with a little noise.
    func face(_ random: inout SeededRandom, scale: Double = 1, angle: Double = 0, noise: Double = 0.004) -> PoseInstance {
        let template: [(Double, Double)] = [(-0.2, -0.1), (0.2, -0.1), (0, 0.05), (-0.12, 0.2), (0.12, 0.2)]
        let (c, s) = (cos(angle), sin(angle))
        let (cx, cy) = (random.uniform(0.4, 0.6), random.uniform(0.4, 0.6))
        let points = template.map { x, y -> Keypoint in
            let (nx, ny) = (x + random.uniform(-noise, noise), y + random.uniform(-noise, noise))
            return Keypoint(x: cx + scale * (c * nx - s * ny) * 0.5, y: cy + scale * (s * nx + c * ny) * 0.5, visibility: 2)
        }
        return PoseInstance(box: BoundingBox(minX: 0.1, minY: 0.1, maxX: 0.9, maxY: 0.9), keypoints: points)
    }

    @Test func `a scrambled face is implausible and a scaled or turned copy is not`() throws {
        var random = SeededRandom(seed: 3)
        let labels = (0..<60).map { _ in face(&random, scale: random.uniform(0.5, 1.5), angle: random.uniform(-0.3, 0.3)) }
        let model = try #require(ShapeModel(labels: labels.map { ($0, 100, 100) }))
        #expect(model.faces == 60 && model.threshold > 0 && !model.components.isEmpty)
        let plain = face(&random)
        #expect(!model.isImplausible(plain, width: 100, height: 100))
        // bigger and turned further than any label
        #expect(!model.isImplausible(face(&random, scale: 2.5, angle: 1.2), width: 100, height: 100))
        var scrambled = plain
        scrambled.keypoints = [plain.keypoints[3], plain.keypoints[1], plain.keypoints[0], plain.keypoints[2], plain.keypoints[4]]
        #expect(
            model.isImplausible(scrambled, width: 100, height: 100),
            "residual \(model.residual(of: scrambled, width: 100, height: 100) ?? -1), threshold \(model.threshold)")
        // a face with a point not labelled is judged on the others
        var partial = plain
        partial.keypoints[4].visibility = 0
        #expect(model.residual(of: partial, width: 100, height: 100) != nil && !model.isImplausible(partial, width: 100, height: 100))
        #expect(ShapeModel(labels: labels.prefix(10).map { ($0, 100, 100) }) == nil)
    }

    @Test func `Jacobi finds the eigenvalues of a known matrix`() {
        let (values, vectors) = ShapeModel.eigen([2, 1, 0, 1, 2, 0, 0, 0, 5], 3)
        #expect(zip(values, [5.0, 3, 1]).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(abs(abs(vectors[1][0]) - 1 / 2.0.squareRoot()) < 1e-9 && abs(vectors[1][0] - vectors[1][1]) < 1e-9)
    }
}

@Suite struct `Honest fixed val` {
    /// Two faces on a 100 × 100 image, only the first labelled in the original val.
    let faces = [
        PoseInstance(box: BoundingBox(minX: 0.1, minY: 0.1, maxX: 0.3, maxY: 0.3), keypoints: [Keypoint(x: 0.2, y: 0.2, visibility: 2)]),
        PoseInstance(box: BoundingBox(minX: 0.6, minY: 0.6, maxX: 0.8, maxY: 0.8), keypoints: [Keypoint(x: 0.7, y: 0.7, visibility: 2)]),
    ]

    func precision(predicting predictions: [PoseInstance], against labels: [PoseInstance]) -> Double {
        var accumulator = PoseMetricsAccumulator(keypointCount: 1, sigmas: [0.1])
        func object(_ face: PoseInstance) -> TruthObject {
            TruthObject(
                classIndex: 0,
                box: PixelBox(
                    x1: Float(face.box.minX) * 100, y1: Float(face.box.minY) * 100, x2: Float(face.box.maxX) * 100,
                    y2: Float(face.box.maxY) * 100),
                keypoints: face.keypoints.map { PixelKeypoint(x: Float($0.x) * 100, y: Float($0.y) * 100, visibility: 2) })
        }
        accumulator.add(
            truths: labels.map(object),
            detections: predictions.map { face in
                let truth = object(face)
                return DetectedObject(classIndex: 0, confidence: 0.9, box: truth.box, keypoints: truth.keypoints)
            })
        return Double(accumulator.result().box.precision)
    }

    @Test func `perfect predictions have box precision 1 on the truth's val, and not on val labels that miss a face`() {
        #expect(precision(predicting: faces, against: faces) == 1)
        #expect(precision(predicting: faces, against: [faces[0]]) < 1)
    }

    @Test func `a run measures Table 2b on the truth's val when it has the truth, else says the original val is incomplete`() async throws {
        let (folder, data, truth) = try await tinyDataSet(images: 6)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = tinySettings(truth: truth)
        settings.iterations = 0
        let withTruth = try await startRefiner(folder.appendingPathComponent("a"), data: data, settings: settings).refine()
        #expect(withTruth.fixedVal == FixedVal(source: .truth, data: truth.path))
        settings.truth = nil
        let without = try await startRefiner(folder.appendingPathComponent("b"), data: data, settings: settings).refine()
        #expect(
            without.fixedVal?.source == .original
                && without.fixedVal?.description.hasPrefix("the original val labels, which are incomplete") == true)
        #expect(ReportTables.metrics(withTruth, on: .fixed).title.contains("truth's val labels"))
        #expect(ReportTables.metrics(without, on: .fixed).title.contains("incomplete"))
    }
}

@Suite struct `Closer look` {
    /// The face's NME against the truth (normalised points of a `size`-pixel square image).
    func error(_ face: PoseDetection, truth: PoseInstance, size: Float) -> Double {
        FaceAlignment.error(
            prediction: face.keypoints.map { PixelKeypoint(x: $0.x, y: $0.y, visibility: 2) },
            truth: truth.keypoints.map { PixelKeypoint(x: Float($0.x) * size, y: Float($0.y) * size, visibility: Float($0.visibility)) },
            eyeCorners: EyeCorners.standard(keypointCount: truth.keypoints.count)
        ).normalisedMeanError!
    }

    @Test
    func `small faces seen again on an enlarged crop keep their box, score the mean of both looks, and their points land nearer the truth`()
        throws
    {
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors")
        let model = try PoseModel.load(weights)
        // 640-pixel images seen at 320: their faces are small to the network
        var options = SynthDataset.Options()
        (options.imageSize, options.faces, options.clean) = (640, 3...4, true)
        let samples = try (0..<4).map { try SynthDataset.sample($0, options: options) }
        let images = samples.map { ScaledImage(image: $0.image, scale: 1, width: $0.image.width, height: $0.image.height) }
        var settings = AutolabelSettings()
        settings.imageSize = 320
        func candidates(crops: Bool, confidence: Float) -> [[Candidate]] {
            (settings.closerLook, settings.confidence) = (crops, confidence)
            let finder = CandidateFinder(model: model, settings: settings, flipIndex: nil, shapes: nil)
            return finder.candidates(images, names: samples.indices.map(String.init))
        }
        // with crops at 0.4 the whole image is searched from 0.2, where a second look may lift a face
        let (whole, refined) = (candidates(crops: false, confidence: 0.2), candidates(crops: true, confidence: 0.4))
        var errors: (whole: [Double], refined: [Double]) = ([], [])
        for (index, sample) in samples.enumerated() {
            for b in refined[index] {
                let a = try #require(whole[index].first { $0.detection.box == b.detection.box })
                // a face already large is not looked at again
                guard let closer = b.measures.closerScore else {
                    #expect(b.detection == a.detection)
                    continue
                }
                #expect(b.detection.score == (a.detection.score + closer) / 2)
                let overlap = { (truth: PoseInstance) in
                    a.detection.box.iou(
                        PixelBox(
                            x1: Float(truth.box.minX * 640), y1: Float(truth.box.minY * 640), x2: Float(truth.box.maxX * 640),
                            y2: Float(truth.box.maxY * 640)))
                }
                let truth = sample.truth.max { overlap($0) < overlap($1) }!
                #expect(overlap(truth) > 0.5)
                errors.whole.append(error(a.detection, truth: truth, size: 640))
                errors.refined.append(error(b.detection, truth: truth, size: 640))
            }
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        #expect(errors.whole.count >= 8)
        #expect(
            median(errors.refined) < 0.9 * median(errors.whole),
            "median NME \(median(errors.refined)) with crops, \(median(errors.whole)) without")
    }

    @Test func `the closer looks of several images, predicted together in batches that split faces and views, are each face's own`() throws
    {
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors")
        let model = try PoseModel.load(weights)
        var options = SynthDataset.Options()
        (options.imageSize, options.faces, options.clean) = (640, 3...4, true)
        let images = try (0..<4).map { try SynthDataset.sample($0, options: options).image }
        var settings = AutolabelSettings()
        (settings.imageSize, settings.maxDisagreement, settings.batchSize) = (320, 0.5, 3)
        let finder = CandidateFinder(model: model, settings: settings, flipIndex: FaceLandmarks.flipIndex, shapes: nil)
        // every face the whole images show, but the second of each image (not to be looked at)
        let faces = finder.predictor.predict(images: images, names: images.map { _ in "" }).map { prediction in
            prediction.detections.filter { $0.score >= 0.3 }.enumerated().map { $0.offset == 1 ? nil : $0.element }
        }
        #expect(faces.joined().compactMap { $0 }.count >= 4)
        // 3 images a pass: a face's two crops, and a crop and its mirror, fall in different passes
        let together = finder.closerLooks(at: faces, in: images)
        #expect(together.map(\.count) == faces.map(\.count))
        var looked = 0
        for (image, faces) in faces.enumerated() {
            for (index, face) in faces.enumerated() {
                let alone = face.flatMap { finder.closerLooks(at: [[$0]], in: [images[image]])[0][0] }
                let look = together[image][index]
                #expect((look == nil) == (alone == nil), "image \(image), face \(index)")
                guard let look, let alone else { continue }
                looked += 1
                #expect(abs(look.score - alone.score) < 1e-4)
                for (p, q) in zip(look.keypoints ?? [], alone.keypoints ?? []) {
                    #expect(abs(p.x - q.x) < 0.01 && abs(p.y - q.y) < 0.01)
                }
                #expect(look.keypoints?.count == alone.keypoints?.count)
            }
        }
        #expect(looked >= 4)
    }
}

@Suite struct `Calibration judging` {
    @Test func `each row pairs the faces it keeps with the labelled ones, so a face another filter removed takes no label away`() {
        func candidate(x: Double, own: Float?, score: Float, paired: Bool, iou: Float, nme: Double) -> Calibration.Candidate {
            Calibration.Candidate(
                image: 0, box: BoundingBox(minX: x, minY: 10, maxX: x + 20, maxY: 30), ownScore: own, score: score, paired: paired,
                disagreement: paired ? 0.1 : nil, overlaps: [Calibration.Overlap(face: 0, iou: iou, nme: nme)])
        }
        // one labelled face, seen by the image's own view alone (0.8) and by both views (0.5)
        let single = candidate(x: 10, own: 0.8, score: 0.8, paired: false, iou: 0.9, nme: 0.05)
        let both = candidate(x: 11, own: nil, score: 0.5, paired: true, iou: 0.8, nme: 0.04)
        let rows = Calibration.sweep([single, both], faces: 1, confSingle: 0.9)
        let flip = rows.first { $0.maxDisagreement == 0.3 && $0.conf == 0.5 }!
        // the flip check drops the single view (under --conf-single); the paired face is right
        #expect(flip.kept == 1 && flip.precision == 1 && flip.recall == 1 && flip.nme == 0.04)
        let plain = rows.first { $0.maxDisagreement == nil && $0.conf == 0.5 }!
        #expect(plain.kept == 1 && plain.precision == 1 && plain.nme == 0.05)
        // with both kept (no overlap check), the higher score takes the face and the other is wrong
        let loose = Calibration.sweep([single, both], faces: 1, confSingle: 0.5, checksOverlap: false).first {
            $0.maxDisagreement == 0.3 && $0.conf == 0.5
        }!
        #expect(loose.kept == 2 && loose.precision == 0.5 && loose.nme == 0.05)
        // the overlap check leaves one of the two boxes of that face
        let checked = Calibration.sweep([single, both], faces: 1, confSingle: 0.5).first { $0.maxDisagreement == 0.3 && $0.conf == 0.5 }!
        #expect(checked.kept == 1 && checked.precision == 1)
        // one right of two: the Wilson interval's lower end, worked by hand, 9.45%
        #expect(abs(loose.precisionLowerBound! - 0.094531) < 1e-5)
    }

    @Test func `a split looks incompletely labelled when the model finds many confident faces no label covers`() {
        func face(_ image: Int, score: Float, labelled: Bool) -> Calibration.Candidate {
            Calibration.Candidate(
                image: image, box: BoundingBox(minX: 0, minY: 0, maxX: 10, maxY: 10), ownScore: score, score: score, paired: true,
                disagreement: 0.01, overlaps: labelled ? [Calibration.Overlap(face: 0, iou: 0.9, nme: 0.03)] : [])
        }
        let found = (0..<20).map { face($0 % 10, score: 0.9, labelled: true) }
        // two confident mistakes on 20 labelled faces of 10 images: fewer than 3
        let few = Calibration.coverage(
            found + [face(0, score: 0.8, labelled: false), face(1, score: 0.8, labelled: false)], faces: 20, images: 10)
        #expect(!few.looksIncomplete && few.unlabelledFaces == 2 && few.imagesWithUnlabelled == 2 && few.confidentScore == 0.7)
        // four on four images: 4 ≥ 5% of 24 faces, 4 ≥ 5% of 10 images; the unconfident one does not count
        let missing = (0..<4).map { face($0, score: 0.8, labelled: false) } + [face(5, score: 0.3, labelled: false)]
        let incomplete = Calibration.coverage(found + missing, faces: 20, images: 10)
        #expect(incomplete.looksIncomplete && incomplete.unlabelledFaces == 4 && incomplete.imagesWithUnlabelled == 4)
        // the same four among 200 images and 400 labelled faces: under 5% of either
        #expect(!Calibration.coverage(found + missing, faces: 400, images: 200).looksIncomplete)
        // a model that scores its right faces 0.4 is confident at 0.4: its faces at 0.5 no label covers count
        let modest = (0..<20).map { face($0 % 10, score: 0.4, labelled: true) } + (0..<4).map { face($0, score: 0.5, labelled: false) }
        let lowered = Calibration.coverage(modest, faces: 20, images: 10)
        #expect(lowered.confidentScore == 0.4 && lowered.unlabelledFaces == 4 && lowered.looksIncomplete)
    }

    @Test func `the precision's lower bound is the Wilson interval's, and the faces to show a target are the fewest that reach it`() throws
    {
        // worked by hand with z = 1.96: 95 of 100 gives 88.82%; n of n gives n / (n + z²)
        #expect(abs(try #require(Calibration.precisionLowerBound(correct: 95, of: 100)) - 0.888250) < 1e-5)
        #expect(abs(try #require(Calibration.precisionLowerBound(correct: 181, of: 181)) - 181 / (181 + 3.841459)) < 1e-6)
        #expect(Calibration.precisionLowerBound(correct: 0, of: 0) == nil)
        // z² · 0.995 / 0.005 = 764.45 faces, all right, to show 99.5%
        #expect(Calibration.facesToShow(precision: 0.995) == 765 && Calibration.facesToShow(precision: 0.99) == 381)
        #expect(try #require(Calibration.precisionLowerBound(correct: 765, of: 765)) >= 0.995)
        #expect(try #require(Calibration.precisionLowerBound(correct: 764, of: 764)) < 0.995)
        #expect(Calibration.facesToShow(precision: 1) == nil)
    }
}
