import AutoLabel
import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import PoseData

/// The routes of the review server: each parses its request, asks the ledger (``ReviewRun``) and
/// encodes the answer. No rule of the method lives here.
struct ReviewRoutes: Sendable {
    let run: ReviewRun
    let reviewer: String

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    func register(on router: Router<ReviewContext>) {
        router.get("/") { _, _ in Self.asset(ReviewPage.html, type: "text/html; charset=utf-8") }
        router.get("/review.js") { _, _ in Self.asset(ReviewPage.script, type: "text/javascript; charset=utf-8") }
        router.get("/review.css") { _, _ in Self.asset(ReviewPage.style, type: "text/css; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/api/run") { _, _ in try runInfo() }
        router.get("/api/labels") { request, _ in try labels(request.uri.queryParameters) }
        router.get("/api/labels/:id") { _, context in try label(context) }
        router.post("/api/labels/:id/decision") { request, context in try await decide(request, context) }
        router.post("/api/accept-remaining") { request, context in try await acceptRemaining(request, context) }
        router.get("/api/audit") { _, _ in try audit() }
        router.get("/api/audit/images/:id") { _, context in try auditImage(context) }
        router.post("/api/audit/images/:id/missed") { request, context in try await markMissed(request, context) }
        router.post("/api/audit/images/:id/checked") { request, context in try await check(request, context) }
        router.get("/images/**") { _, context in try image(context) }
    }

    // MARK: Answers

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// A page asset, with a policy that lets it load nothing but this server's own files.
    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; img-src 'self'; object-src 'none'; frame-ancestors 'none'",
            ], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The JSON body of a change, decoded; 400 with the reason when it is not that.
    static func body<T: Decodable>(_ type: T.Type, of request: Request) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: ReviewServer.maximumBodyBytes)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: "malformed body: " + Self.reason(error))
        }
    }

    static func reason(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "'\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            (context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription).trimmingCharacters(
                in: .whitespaces)
        @unknown default: "\(error)"
        }
    }

    // MARK: Routes

    struct RunInfo: Encodable {
        var run: String
        var iteration: Int?
        var iterations: [Int]
        var reviewer: String
        var keypoints: Int
        var names: [String]
        var edges: [[Int]]
        var classes: [String]
        /// Whether the page audits `iteration` (``ReviewRun/audits``).
        var audit: Bool
    }

    func runInfo() throws -> Response {
        let shape = run.config.keypointShape
        let scheme = KeypointScheme.standard(forCount: shape.count, flipIndex: run.config.flipIndex)
        let names = run.config.keypointNames ?? scheme.names
        let drawsEdges = [51, 68, 17].contains(shape.count)  // the named layouts; others have no contours to draw
        return try Self.json(
            RunInfo(
                run: run.run.folder.lastPathComponent, iteration: run.iteration,
                iterations: try run.ledger.provenance().keys.filter { $0 > 0 }.sorted(), reviewer: reviewer, keypoints: shape.count,
                names: names,
                edges: drawsEdges ? scheme.edges.map { [$0.0, $0.1] } : [], classes: run.config.names, audit: run.audits))
    }

    struct Queue: Encodable {
        var items: [ReviewRun.LabelView]
        var reviewed: Int
        var total: Int
    }

    /// The filter a listing's query names; 400 for a value that is not one.
    func filter(_ query: Parameters) throws -> ReviewFilter {
        var filter = ReviewFilter()
        if let text = query.get("iteration"), text != "all" {
            guard let iteration = Int(text) else { throw HTTPError(.badRequest, message: "iteration must be a number or all") }
            filter.iteration = iteration
        }
        if let text = query.get("status"), !text.isEmpty {
            filter.statuses = Set(
                try text.split(separator: ",").map { name in
                    guard let status = ReviewStatus(rawValue: String(name)) else {
                        throw HTTPError(.badRequest, message: "unknown status '\(name)'")
                    }
                    return status
                })
        }
        for (key, path) in [("minScore", \ReviewFilter.minimumScore), ("maxScore", \ReviewFilter.maximumScore)] {
            guard let text = query.get(key), !text.isEmpty else { continue }
            guard let value = Double(text) else { throw HTTPError(.badRequest, message: "\(key) must be a number") }
            filter[keyPath: path] = value
        }
        filter.imageContains = query.get("image")
        return filter
    }

    func labels(_ query: Parameters) throws -> Response {
        let selected = try filter(query)
        let all = try run.ledger.labels(matching: ReviewFilter(iteration: selected.iteration))
        let shown = try selected == ReviewFilter(iteration: selected.iteration) ? all : run.ledger.labels(matching: selected)
        return try Self.json(
            Queue(
                items: shown.map { run.view($0, shapes: false) }, reviewed: all.filter { $0.status != .unreviewed }.count, total: all.count)
        )
    }

    struct Detail: Encodable {
        var label: ReviewRun.LabelView
        /// The other labels of the image, originals and those of other iterations.
        var others: [ReviewRun.LabelView]
    }

    /// The label the path names; 404 when there is none.
    func requestedLabel(_ context: ReviewContext) throws -> LedgerLabel {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw HTTPError(.notFound) }
        guard let label = try run.ledger.label(id) else { throw HTTPError(.notFound, message: "no label \(id)") }
        return label
    }

    func label(_ context: ReviewContext) throws -> Response {
        let label = try requestedLabel(context)
        let others = try run.ledger.labels(on: label.image).filter { $0.id != label.id && $0.status != .rejected }
        return try Self.json(Detail(label: run.view(label), others: others.map { run.view($0) }))
    }

    struct DecisionBody: Decodable {
        var status: ReviewStatus
        var version: Int
        var keypoints: [[Double]]?
    }

    struct ConflictBody: Encodable {
        var error: String
        var current: ReviewRun.LabelView
    }

    func decide(_ request: Request, _ context: ReviewContext) async throws -> Response {
        let label = try requestedLabel(context)
        let body = try await Self.body(DecisionBody.self, of: request)
        var corrected: PoseInstance? = nil
        switch body.status {
        case .corrected:
            guard let keypoints = body.keypoints else { throw HTTPError(.badRequest, message: "a correction needs its keypoints") }
            do {
                corrected = try run.corrected(label, keypoints: keypoints)
            } catch let error as ReviewInputError {
                throw HTTPError(.badRequest, message: error.description)
            }
        case .added: throw HTTPError(.badRequest, message: "status 'added' is for faces imported from a labelling tool")
        default:
            if body.keypoints != nil { throw HTTPError(.badRequest, message: "only a correction carries keypoints") }
        }
        do {
            let decided = try run.ledger.decide(
                label.id, body.status, corrected: corrected, reviewer: reviewer, version: body.version,
                source: run.audits ? Ledger.auditSource : "review")
            return try Self.json(run.view(decided))
        } catch let conflict as ReviewConflict {
            return try Self.json(ConflictBody(error: conflict.description, current: run.view(conflict.current)), status: .conflict)
        }
    }

    struct AcceptBody: Decodable {
        var minScore: Double
        var iteration: Int?
    }

    func acceptRemaining(_ request: Request, _ context: ReviewContext) async throws -> Response {
        guard !run.audits else { throw HTTPError(.badRequest, message: "an audit judges each label of its sample: no accepting in bulk") }
        let body = try await Self.body(AcceptBody.self, of: request)
        guard (0...1).contains(body.minScore) else { throw HTTPError(.badRequest, message: "minScore must lie in [0, 1]") }
        let ids = try run.ledger.acceptRemaining(ReviewFilter(iteration: body.iteration), minimumScore: body.minScore, reviewer: reviewer)
        return try Self.json(["accepted": ids])
    }

    // MARK: The audit

    struct Audit: Encodable {
        var items: [ReviewRun.AuditItemView]
        var estimate: AuditEstimate
    }

    /// The audit's sample, labels then images, and the estimate so far; 404 outside an audit.
    func audit() throws -> Response {
        guard run.audits, let iteration = run.iteration else {
            throw HTTPError(.notFound, message: "not an audit: start review with --audit N")
        }
        return try Self.json(
            Audit(
                items: try run.ledger.auditItems(iteration: iteration).map(run.view),
                estimate: AuditEstimate(try run.run.auditTally(iteration: iteration))))
    }

    struct AuditImage: Encodable {
        var item: ReviewRun.AuditItemView
        /// Every label the image holds now (originals, generated, added), rejected ones left out.
        var labels: [ReviewRun.LabelView]
    }

    /// The image item the path names; 404 when it is not one of the audit's images.
    func requestedImage(_ context: ReviewContext) throws -> AuditItem {
        guard run.audits, let iteration = run.iteration, let id = context.parameters.get("id", as: Int64.self),
            let item = try run.ledger.auditItems(iteration: iteration).first(where: { $0.id == id && $0.kind == .image })
        else { throw HTTPError(.notFound, message: "no such audit image") }
        return item
    }

    func imageAnswer(_ item: AuditItem) throws -> Response {
        let labels = try run.ledger.labels(on: item.image).filter { $0.status != .rejected }
        return try Self.json(AuditImage(item: run.view(item), labels: labels.map { run.view($0) }))
    }

    func auditImage(_ context: ReviewContext) throws -> Response { try imageAnswer(try requestedImage(context)) }

    struct MissedBody: Decodable { var box: [Double] }

    func markMissed(_ request: Request, _ context: ReviewContext) async throws -> Response {
        let item = try requestedImage(context)
        let body = try await Self.body(MissedBody.self, of: request)
        let face: PoseInstance
        do {
            face = try run.missedFace(box: body.box)
        } catch let error as ReviewInputError {
            throw HTTPError(.badRequest, message: error.description)
        }
        try run.ledger.addLabel(face, on: item.image, iteration: run.iteration!, reviewer: reviewer, source: Ledger.auditSource)
        return try imageAnswer(item)
    }

    struct CheckBody: Decodable { var checked: Bool }

    func check(_ request: Request, _ context: ReviewContext) async throws -> Response {
        let item = try requestedImage(context)
        let body = try await Self.body(CheckBody.self, of: request)
        return try imageAnswer(try run.ledger.setChecked(item.id, by: body.checked ? reviewer : nil))
    }

    func image(_ context: ReviewContext) throws -> Response {
        let parts = context.parameters.getCatchAll().map { $0.removingPercentEncoding ?? String($0) }
        guard let key = ImageKey(parts.joined(separator: "/")), let file = try run.imageFile(key),
            let data = try? Data(contentsOf: file)
        else { throw HTTPError(.notFound) }
        let type = ImageFormat(pathExtension: file.pathExtension) == .png ? "image/png" : "image/jpeg"
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
