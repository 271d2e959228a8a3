/// The endpoints the broker actually listens on (wildcard ports resolved), as
/// `tcp://address:port` strings.
public struct BrokerEndpoints: Sendable, Equatable {
    public var modelIn: String
    public var modelOut: String
    public var updatesIn: String
    public var updatesOut: String
    public var controlIn: String
    public var controlOut: String

    public init(modelIn: String, modelOut: String, updatesIn: String, updatesOut: String, controlIn: String,
                controlOut: String) {
        self.modelIn = modelIn
        self.modelOut = modelOut
        self.updatesIn = updatesIn
        self.updatesOut = updatesOut
        self.controlIn = controlIn
        self.controlOut = controlOut
    }

    /// One line, for the startup log.
    public var summary: String {
        "model-in \(modelIn) model-out \(modelOut) updates-in \(updatesIn) updates-out \(updatesOut) control-in \(controlIn) control-out \(controlOut)"
    }
}
