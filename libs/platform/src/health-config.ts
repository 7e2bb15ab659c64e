import { bool, int } from './config';

/** The health and reflection variables both gRPC apps share (spread into their config specs). */
export const grpcHealthConfigSpec = {
  HEALTH_CHECK_INTERVAL_MS: int(
    'time between two readiness checks of the dependencies (gRPC health, /readyz)',
    2000,
    50,
    600_000,
  ),
  HEALTH_CHECK_TIMEOUT_MS: int(
    'a dependency that has not answered a readiness check within this counts as down',
    1000,
    10,
    60_000,
  ),
  GRPC_REFLECTION: bool('serve gRPC server reflection (grpcurl list/describe)', true),
};
