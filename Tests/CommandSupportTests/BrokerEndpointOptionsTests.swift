// The trainer, the aggregator and `fedmq loadgen` share one broker option group; these tests
// pin what it accepts on each side of the broker and in which order flags, variables and
// defaults win.
import ArgumentParser
import CommandSupport
import Testing

@Suite struct BrokerEndpointOptionsTests {
    @Test func trainerSideDefaultsToTheTrainerPortsOnLocalhost() throws {
        let e = try BrokerEndpointOptions<TrainerSide>.parse([]).endpoints(EnvironmentValues([:]))
        #expect([e.model, e.update, e.control] == ["tcp://localhost:5556", "tcp://localhost:5557", "tcp://localhost:5559"])
    }

    @Test func aggregatorSideTakesTheSameHostFlagAndItsOwnPortFlags() throws {
        let options = try BrokerEndpointOptions<AggregatorSide>.parse(["--broker", "hub", "--updates-out-port", "7001"])
        let e = try options.endpoints(EnvironmentValues(["FEDMQ_CONTROL_OUT_PORT": "7002"]))
        #expect([e.model, e.update, e.control] == ["tcp://hub:5555", "tcp://hub:7001", "tcp://hub:7002"])
        #expect(throws: (any Error).self) { try BrokerEndpointOptions<AggregatorSide>.parse(["--model-out-port", "1"]) }
    }

    @Test func fullEndpointsWinOverHostAndPortAndFlagsOverVariables() throws {
        let env = EnvironmentValues(["FEDMQ_BROKER_HOST": "from-env", "FEDMQ_MODEL_ENDPOINT": "tcp://m:1", "FEDMQ_UPDATES_IN_PORT": "9"])
        let options = try BrokerEndpointOptions<TrainerSide>.parse(["--control-endpoint", "ipc:///tmp/c", "--updates-in-port", "8"])
        let e = try options.endpoints(env)
        #expect([e.model, e.update, e.control] == ["tcp://m:1", "tcp://from-env:8", "ipc:///tmp/c"])
    }

    @Test func portsOutsideTheRangeNameTheirFlagOrVariable() throws {
        let flag = try BrokerEndpointOptions<TrainerSide>.parse(["--model-out-port", "70000"])
        #expect("\(#expect(throws: ValidationError.self) { try flag.endpoints(EnvironmentValues([:])) }!)".contains("--model-out-port"))
        let variable = try BrokerEndpointOptions<AggregatorSide>.parse([])
        let error = #expect(throws: ValidationError.self) { try variable.endpoints(EnvironmentValues(["FEDMQ_MODEL_IN_PORT": "0"])) }
        #expect("\(error!)".contains("FEDMQ_MODEL_IN_PORT"))
    }
}
