import AutoLabel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PoseData

/// The local review web app (`facelabel review RUN`): a Hummingbird server on loopback that serves
/// its own page, the run's images and a JSON API over the ledger. Every decision is one ledger
/// transaction, committed before the answer, so a page shows "saved" only for what is on disk.
///
/// The API (JSON, camelCase; the page is one of its clients):
///
/// | request | answer |
/// |---|---|
/// | `GET /api/run` | the run: iteration under review, keypoint layout, reviewer |
/// | `GET /api/labels?iteration=&status=&minScore=&maxScore=&image=` | the queue, lowest score first, and the progress |
/// | `GET /api/labels/{id}` | a label, and the other labels of its image |
/// | `POST /api/labels/{id}/decision` `{status, version, keypoints?}` | the label after the decision; 409 when it changed meanwhile |
/// | `POST /api/accept-remaining` `{minScore, iteration?}` | the ids accepted |
/// | `GET /api/audit` | with `--audit`: the sample (labels, then images) and the estimate so far |
/// | `GET /api/audit/images/{id}` | an image of the audit and every label it holds |
/// | `POST /api/audit/images/{id}/missed` `{box}` | the image after a face no label covered is marked (normalised cx, cy, w, h) |
/// | `POST /api/audit/images/{id}/checked` `{checked}` | the image, marked checked (every missed face marked) or not |
/// | `GET /images/{split}/{path}` | one of the run's images |
public struct ReviewServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 0
        public var reviewer: String
        /// The access token (random when nil).
        public var token: String?

        public init(host: String = "127.0.0.1", port: Int = 0, reviewer: String, token: String? = nil) {
            (self.host, self.port, self.reviewer, self.token) = (host, port, reviewer, token)
        }
    }

    /// Request bodies larger than this are refused with 413 (a decision takes about 3 kB for 68 points).
    public static let maximumBodyBytes = 64 << 10

    public let run: ReviewRun
    public let options: Options
    public let token: String

    public init(run: ReviewRun, options: Options) {
        self.run = run
        self.options = options
        token = options.token ?? Self.randomToken()
    }

    /// 32 random bytes as hex, from the system's generator.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Whether `host` is a loopback address (the default, and the only one that needs no warning).
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    /// Serves until SIGINT or SIGTERM, then shuts down (every decision already committed).
    /// `announce` gets the URL to open, with the token, once the server listens.
    public func serve(announce: @escaping @Sendable (String) -> Void) async throws {
        let application = try makeApplication(announce: announce)
        try await application.runService(gracefulShutdownSignals: [.sigint, .sigterm])
    }

    func makeApplication(announce: @escaping @Sendable (String) -> Void) throws -> some ApplicationProtocol {
        let routes = ReviewRoutes(run: run, reviewer: options.reviewer)
        let host = options.host
        let token = self.token
        let hostBox = BoundHosts()
        let router = Router(context: ReviewContext.self)
        router.add(middleware: ReviewGuard(token: token, hosts: hostBox))
        routes.register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: options.port), serverName: "facelabel-review"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let named = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                var names = ["\(named):\(port)"]
                if Self.isLoopback(host) { names += ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"] }
                hostBox.set(Set(names.map { $0.lowercased() }))
                announce("http://\(named):\(port)/?token=\(token)")
            },
            logger: {
                var logger = Logger(label: "facelabel-review")
                logger.logLevel = .error
                return logger
            }())
    }
}

/// The request context: the body limit.
struct ReviewContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    init(source: Source) { coreContext = .init(source: source) }
    var maxUploadSize: Int { ReviewServer.maximumBodyBytes }
}
