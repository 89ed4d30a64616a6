import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';

/**
 * apache/rocketmq-apis' `apache.rocketmq.v2.MessagingService`, loaded from the .proto files the RocketMQ Node
 * client ships (a dependency for exactly this): the definitions stay Apache's, at a pinned version, uncopied.
 * Messages come as plain objects with camelCase fields, enums as their names, int64 as numbers.
 */
export function loadMessagingService(): ServiceDefinition {
  const require = createRequire(import.meta.url);
  const protoRoot = join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
  const definition = loadSync('apache/rocketmq/v2/service.proto', {
    includeDirs: [protoRoot],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const root = loadPackageDefinition(definition) as unknown as { apache: { rocketmq: { v2: { MessagingService: { service: ServiceDefinition } } } } };
  return root.apache.rocketmq.v2.MessagingService.service;
}
