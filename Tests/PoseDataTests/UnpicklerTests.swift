import Foundation
import Interchange
import Testing

@Suite struct `The restricted unpickler` {
    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// `{'a': [1, -2, 2.5, 'x', 2**40, -2**63], 'b': (True, None), 'c': b'\x00\xff', 'd': OrderedDict(k=3)}`
    /// as Python 3.11's pickle.dumps writes it with protocols 2 and 4.
    static let protocols = [
        "80027d71002858010000006171015d7102284b014afeffffff47400400000000000058010000007871038a060000000000018a08000000000000008065"
            + "5801000000627104884e8671055801000000637106635f636f646563730a656e636f64650a7107580300000000c3bf710858060000006c617469"
            + "6e31710986710a52710b580100000064710c63636f6c6c656374696f6e730a4f726465726564446963740a710d2952710e58010000006b710f"
            + "4b0373752e",
        "80049570000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0178948a060000000000018a0800000000000000"
            + "80658c016294884e86948c016394430200ff948c0164948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c"
            + "016b944b0373752e",
    ]

    @Test(arguments: protocols) func `rebuilds plain values, containers, bytes and ordered dicts`(hex: String) throws {
        let document = try Unpickler.load(Self.bytes(hex))
        defer { withExtendedLifetime(document) {} }
        let dict = try #require(document.root.dict)
        #expect(dict.entries.map { $0.key.string } == ["a", "b", "c", "d"])
        let list = try #require(dict["a"]?.items)
        #expect(list.count == 6)
        #expect(list[0].int == 1 && list[1].int == -2 && list[3].string == "x" && list[4].int == 1 << 40 && list[5].int == Int.min)
        if case .float(let half) = list[2] { #expect(half == 2.5) } else { Issue.record("2.5 read as \(list[2])") }
        let pair = try #require(dict["b"]?.items)
        if case .bool(true) = pair[0], case .none = pair[1] {} else { Issue.record("(True, None) read as \(pair)") }
        if case .bytes(let raw) = dict["c"] {
            #expect(raw == [0, 255])
        } else {
            Issue.record("bytes read as \(String(describing: dict["c"]))")
        }
        #expect(dict["d"]?.dict?["k"]?.int == 3)
    }

    @Test func `names classes and calls without running them, and rebuilds a tensor from its storage`() throws {
        // torch._utils._rebuild_tensor_v2(('storage', torch.HalfStorage, '0', 'cpu', 6), 2, (2, 2), (1, 2), False, OrderedDict())
        // inside os.system('x') (a call that must stay a name)
        var pickle: [UInt8] = [0x80, 0x02, UInt8(ascii: "(")]
        pickle += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8)
        pickle += [UInt8(ascii: "("), UInt8(ascii: "(")] + Array("X\u{7}\0\0\0storage".utf8)
        pickle += Array("ctorch\nHalfStorage\n".utf8) + Array("X\u{1}\0\0\u{0}0X\u{3}\0\0\0cpuK\u{6}t".utf8)
        pickle += [UInt8(ascii: "Q"), UInt8(ascii: "K"), 2, UInt8(ascii: "K"), 2, UInt8(ascii: "K"), 2, 0x86]
        pickle += [UInt8(ascii: "K"), 1, UInt8(ascii: "K"), 2, 0x86, 0x89, UInt8(ascii: "}"), UInt8(ascii: "t"), UInt8(ascii: "R")]
        pickle +=
            Array("cos\nsystem\n".utf8) + Array("X\u{1}\0\0\0x".utf8) + [0x85, UInt8(ascii: "R"), UInt8(ascii: "l"), UInt8(ascii: ".")]
        let document = try Unpickler.load(pickle)
        defer { withExtendedLifetime(document) {} }
        let items = try #require(document.root.items)
        let tensor = try #require(items[0].tensor)
        #expect(tensor.storage.key == "0" && tensor.storage.type == "HalfStorage" && tensor.storage.count == 6)
        #expect(tensor.offset == 2 && tensor.size == [2, 2] && tensor.stride == [1, 2])
        let call = try #require(items[1].object)
        #expect(call.type?.description == "os.system" && call.arguments.first?.string == "x")
    }

    @Test func `a list that holds itself is read, and emptied with its document`() throws {
        // l = []; l.append(l): EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP
        var document: PickleDocument? = try Unpickler.load([
            UInt8(ascii: "]"), UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0, UInt8(ascii: "a"), UInt8(ascii: "."),
        ])
        guard case .list(let list) = document!.root, case .list(let inner) = list.items.first else {
            Issue.record("read as \(document!.root)")
            return
        }
        #expect(inner === list && list.items.count == 1)
        document = nil
        #expect(list.items.isEmpty)
    }

    @Test func `tuples nested a million deep are read, described and freed without recursion`() throws {
        let pickle = [UInt8(ascii: "N")] + [UInt8](repeating: 0x85, count: 1_000_000) + [UInt8(ascii: ".")]
        let document = try Unpickler.load(pickle)
        defer { withExtendedLifetime(document) {} }
        #expect(document.root.description == "((…))")
        #expect(document.root.items?.count == 1)
    }

    @Test func `malformed pickles are errors that name the byte and the reason`() {
        let cases: [([UInt8], String)] = [
            ([0x80, 0x02, UInt8(ascii: "]")], "the pickle ends without STOP"),
            ([0x80, 0x02, UInt8(ascii: "X"), 0xff, 0xff, 0xff, 0x7f], "runs past the end"),
            ([UInt8(ascii: "a")], "the stack is empty"),
            ([UInt8(ascii: "h"), 5], "memo index 5 was never stored"),
            (
                [UInt8(ascii: "K"), 0, UInt8(ascii: "K"), 1, UInt8(ascii: "K"), 2, UInt8(ascii: "s"), UInt8(ascii: ".")],
                "SETITEM on something that is not a dict"
            ),
            ([0x82, 1], "opcode 0x82 is not supported"),
            ([UInt8(ascii: "t")], "no MARK to end at"),
            ([UInt8(ascii: "N"), UInt8(ascii: "Q")], "a persistent id that is not a PyTorch storage"),
            (
                Array("ctorch._utils\n_rebuild_tensor_v2\nN".utf8) + [0x85, UInt8(ascii: "R"), UInt8(ascii: ".")],
                "arguments that do not describe a tensor"
            ),
        ]
        for (pickle, reason) in cases {
            do {
                _ = try Unpickler.load(pickle)
                Issue.record("\(pickle) was read")
            } catch {
                #expect(error.description.contains(reason) && error.description.hasPrefix("pickle byte "), "\(error)")
            }
        }
    }
}
