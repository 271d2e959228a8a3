import Testing
import Federation
