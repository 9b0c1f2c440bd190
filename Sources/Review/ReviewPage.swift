/// The review page: plain HTML, CSS and one ES module (`Page/`), embedded in the binary when it is
/// built and served by it (no CDN, nothing that needs the network). It is a client of the JSON API
/// (``ReviewServer``) and keeps no state a reload cannot rebuild: a decision shows as saved only
/// once the server answered it.
enum ReviewPage {
    static let html = String(decoding: PackageResources.index_html, as: UTF8.self)
    static let style = String(decoding: PackageResources.review_css, as: UTF8.self)
    static let script = String(decoding: PackageResources.review_js, as: UTF8.self)
}
