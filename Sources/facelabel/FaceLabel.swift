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
            Refine.self,
            Calibrate.self,
            Report.self,
            ReviewCommand.self,
            MeasureCommand.self,
            Env.self,
        ]
    )

    static func main() async {
        await main(spellingBooleanOptions(Array(CommandLine.arguments.dropFirst())))
    }

    /// Boolean options as the reference's users write them: `--amp false` and `--amp true` mean
    /// `--no-amp` and `--amp` (argument parsing knows the flag pair, not a flag with a value).
    static func spellingBooleanOptions(_ arguments: [String]) -> [String] {
        let flags: Set<String> = ["--amp"]
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if flags.contains(argument), index + 1 < arguments.count, let value = Bool(arguments[index + 1].lowercased()) {
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
