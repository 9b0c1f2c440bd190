import Foundation
import Torch

/// An exponential moving average of a model's weights (reference §4.6), kept in a second store of
/// the same layout: `ema = d·ema + (1 − d)·model` for every floating-point entry (parameters and
/// BatchNorm statistics), with `d(u) = decay · (1 − exp(−u / tau))` ramping up over the updates.
public final class ModelEMA {
    public let average: ParameterStore
    public private(set) var updates: Int
    public let decay: Double
    public let tau: Double

    private let averaged: [Tensor]
    private let sources: [Tensor]

    /// Starts the average at the model's current values (or, with `keepingAverage`, at the values
    /// `average` already holds, as when resuming). `average` must have the same keys and shapes as
    /// `model` (build it with the same constructor).
    public init(
        model: ParameterStore, average: ParameterStore, decay: Double = 0.9999, tau: Double = 2000, updates: Int = 0,
        keepingAverage: Bool = false
    ) {
        precondition(
            model.entries.map(\.key) == average.entries.map(\.key), "ModelEMA needs two stores of the same layout")
        self.average = average
        self.decay = decay
        self.tau = tau
        self.updates = updates
        let pairs = zip(model.entries, average.entries).filter { $0.0.value.dtype.isFloatingPoint }
        sources = pairs.map(\.0.value)
        averaged = pairs.map(\.1.value)
        if !keepingAverage {
            withNoGrad {
                for (source, target) in zip(model.entries, average.entries) { target.value.copyInPlace(source.value) }
            }
        }
    }

    /// The decay used by update number `u` (1-based).
    public func decay(update u: Int) -> Double { decay * (1 - Foundation.exp(-Double(u) / tau)) }

    /// Moves the average towards the model's current values; call after each optimizer step.
    public func update() {
        updates += 1
        let d = decay(update: updates)
        withNoGrad { Tensor.lerpInPlace(averaged, sources, weight: Scalar(1 - d)) }
    }
}
