/// The 51-point facial landmark scheme: iBUG/300-W's 68 points without the 17 jaw points
/// (51-index k = 68-index k + 17; facts from the method notes, docs/reference/method.md).
public enum FaceLandmarks {
    public static let count = 51

    /// Horizontal-flip pairing of the 51 points (each pair checked against the 68-point mirror map).
    public static let flipIndex: [Int] = [
        9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 10, 11, 12, 13, 18, 17, 16, 15, 14, 28, 27, 26, 25, 30, 29,
        22, 21, 20, 19, 24, 23, 37, 36, 35, 34, 33, 32, 31, 42, 41, 40, 39, 38, 47, 46, 45, 44, 43,
        50, 49, 48,
    ]

    /// Ranges of the 51 points by feature.
    public static let brows = 0..<10
    public static let noseBridge = 10..<14
    public static let lowerNose = 14..<19
    /// The eye on the image's left (the subject's right): 19 outer corner, 22 inner corner.
    public static let leftEye = 19..<25
    /// The eye on the image's right: 25 inner corner, 28 outer corner.
    public static let rightEye = 25..<31
    public static let outerLip = 31..<43
    public static let innerLip = 43..<51
}
