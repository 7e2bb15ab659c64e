import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { FILE_DESCRIPTOR_SET_BASE64 } from '@realchat/proto';
import { protoPath as healthProto } from 'grpc-health-check';

/**
 * Serves gRPC server reflection (grpc.reflection.v1 and v1alpha), so that grpcurl and similar
 * tools can list and call the services without the .proto files. Only `services` (full names)
 * are listed; the descriptors come from proto/ (embedded at build time) plus grpc.health.v1.
 */
export function addReflection(server: Server, services: readonly string[]): void {
  const contracts = loadFileDescriptorSetFromBuffer(
    Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'),
  );
  // Reflection reads the file descriptors proto-loader keeps on each message type.
  const definitions = { ...contracts, ...loadSync(healthProto) };
  new ReflectionService(definitions, { services: [...services] }).addToServer(server);
}
