import ArgumentParser

@main
struct FaceLabel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facelabel",
        abstract: "Train YOLOv8-pose landmark detectors and label partly-labelled data sets iteratively.",
        subcommands: [
            Demo.self,
            Check.self,
            Synth.self,
            Import.self,
            Export.self,
            Train.self,
            Val.self,
            Predict.self,
            Autolabel.self,
            Shards.self,
            Refine.self,
            Calibrate.self,
            Report.self,
            ReviewCommand.self,
            AuditCommand.self,
            MeasureCommand.self,
            Env.self,
        ]
    )

    static func main() async {
        await main(ArgumentSpelling.normalised(Array(CommandLine.arguments.dropFirst())))
    }
}

/// Spellings of options that argument parsing does not know on its own.
enum ArgumentSpelling {
    /// Boolean options as the reference's users write them: `--amp false` and `--amp true` mean
    /// `--no-amp` and `--amp` (argument parsing knows the flag pair, not a flag with a value).
    static let booleanOptions: Set<String> = ["--amp"]

    /// Options renamed since, by their earlier name: the earlier name keeps working.
    static let renamed = ["--refine-crops": "--closer-look", "--no-refine-crops": "--no-closer-look"]

    static func normalised(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = renamed[arguments[index]] ?? arguments[index]
            if booleanOptions.contains(argument), index + 1 < arguments.count, let value = Bool(arguments[index + 1].lowercased()) {
                result.append(value ? argument : "--no-" + argument.dropFirst(2))
                index += 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }
}
