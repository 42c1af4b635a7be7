namespace Meshway.Routing.Matching;

/// <summary>
/// How specific a GRPCRoute method match is, for the GRPCRoute precedence (grpcroute_types.go): the most
/// characters in a matching service, then in a matching method, then the most header matches. A method
/// match compiles to a path match whose HTTP ranking would differ (a method-only regex would beat a
/// service-wide prefix), so gRPC entries carry these lengths and are ordered by them instead.
/// </summary>
public readonly record struct GrpcMethodSpecificity(int ServiceLength, int MethodLength);
