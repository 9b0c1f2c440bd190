/// The share of a command's items one process works on: the items in consecutive groups as one
/// process forms them (so that each is handled as there), and the groups of this part, every
/// `count`-th from `index`: a rank's, or a job array's task's. `predict`, `measure` and a
/// labelling pass shared by ranks form their batches this way.
public struct WorkShare<Item> {
    /// The positions of this part's groups among all groups.
    public let mine: [Int]
    /// This part's groups, in order.
    public let groups: [[Item]]
    /// How many items this part's groups hold.
    public let itemCount: Int

    public init(_ items: [Item], groupSize: Int, part: (index: Int, count: Int)) {
        let all = stride(from: 0, to: items.count, by: groupSize).map { Array(items[$0..<min($0 + groupSize, items.count)]) }
        mine = all.indices.filter { $0 % part.count == part.index }
        groups = mine.map { all[$0] }
        itemCount = groups.reduce(0) { $0 + $1.count }
    }
}
