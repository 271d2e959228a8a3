import Testing
import ZeroMQ

@Test func linksLibzmq4() {
    #expect(zmqVersion().major == 4)
}
