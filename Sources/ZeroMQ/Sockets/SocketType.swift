import CZMQ

/// The ZeroMQ socket patterns supported by this module.
public enum SocketType: Sendable, CaseIterable, CustomStringConvertible {
    case pub, sub, xpub, xsub, push, pull, req, rep, router, dealer, pair

    var rawValue: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        }
    }

    public var description: String {
        switch self {
        case .pub: "PUB"
        case .sub: "SUB"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        case .push: "PUSH"
        case .pull: "PULL"
        case .req: "REQ"
        case .rep: "REP"
        case .router: "ROUTER"
        case .dealer: "DEALER"
        case .pair: "PAIR"
        }
    }
}
