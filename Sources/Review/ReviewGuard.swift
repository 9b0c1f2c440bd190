import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// What every request to the review server must pass (Jupyter's token model, and what a local
/// server owes the browser it runs beside):
///
/// - The token: the printed URL carries it once (`/?token=…`); the server answers with a cookie
///   (HttpOnly, SameSite=Strict) and a redirect to the URL without it. Later requests carry the
///   cookie, or, from scripts, the `X-Review-Token` header. Without it: 403.
/// - The `Host` header must name this server (a page of another site that resolves its own name to
///   127.0.0.1, DNS rebinding, gets 403).
/// - A request that changes something (POST, PUT, PATCH, DELETE) must come from the page itself:
///   an `Origin` of another site, or a `Sec-Fetch-Site` other than same-origin, gets 403, and its
///   body must be JSON (`Content-Type: application/json`), which no form of another site can send
///   without a preflight this server never grants.
struct ReviewGuard: RouterMiddleware {
    typealias Context = ReviewContext
    static let cookieName = "facelabel_review"
    static let tokenHeader = HTTPField.Name("X-Review-Token")!

    let token: String
    /// The `host:port` forms a request may address the server by (known once it listens).
    let hosts: BoundHosts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let host = request.head.authority, hosts.value.contains(host.lowercased()) else {
            return ReviewError.response(.forbidden, "this server answers only to its own address")
        }
        if let given = request.uri.queryParameters.get("token") {
            guard Self.same(given, token) else { return ReviewError.response(.forbidden, "wrong token") }
            // the token moves into a cookie and out of the address bar (and the history)
            var response = Response(status: .seeOther, headers: [.location: request.uri.path])
            response.setCookie(Cookie(name: Self.cookieName, value: token, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        let presented = request.headers[Self.tokenHeader] ?? request.cookies[Self.cookieName]?.value
        guard let presented, Self.same(presented, token) else {
            return ReviewError.response(.forbidden, "no valid token: open the URL that 'facelabel review' printed")
        }
        if [.post, .put, .patch, .delete].contains(request.method) {
            if let origin = request.headers[.origin], origin.lowercased() != "http://\(host.lowercased())" {
                return ReviewError.response(.forbidden, "a change must come from the review page, not from \(origin)")
            }
            if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin" {
                return ReviewError.response(.forbidden, "a change must come from the review page (Sec-Fetch-Site: \(site))")
            }
            let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            guard type == "application/json" else {
                return ReviewError.response(.unsupportedMediaType, "a change is a JSON body (Content-Type: application/json)")
            }
        }
        return try await next(request, context)
    }

    /// Compares in time that does not depend on where the strings first differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The host names of the bound address, set once the server listens (the port may be chosen then).
final class BoundHosts: Sendable {
    private let names = Mutex<Set<String>>([])
    func set(_ value: Set<String>) { names.withLock { $0 = value } }
    var value: Set<String> { names.withLock { $0 } }
}

/// The server's error answers: `{"error": "..."}` with the status.
enum ReviewError {
    static func response(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
