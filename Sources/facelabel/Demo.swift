import ArgumentParser

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the built-in demonstration.")

    func run() async throws {}
}
