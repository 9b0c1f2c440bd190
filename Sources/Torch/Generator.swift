import CTorch

/// A seeded source of random numbers for the random creation ops.
///
/// Two generators with the same seed produce the same sequence, whatever else the process does;
/// libtorch's default generator (used when none is given) is shared by the whole process.
public final class Generator {
    let handle: ctorch_generator

    public init(seed: UInt64) {
        var out = ctorch_generator(ptr: nil)
        check("Generator(seed:)", []) { ctorch_generator_new(&out, seed) }
        handle = out
    }

    deinit { ctorch_generator_free(handle) }
}
