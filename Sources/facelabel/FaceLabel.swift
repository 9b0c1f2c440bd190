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
            Report.self,
        ]
    )
}
