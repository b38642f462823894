import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { assertSafeKey, BlobNotFoundError, type BlobStore } from './store';

/** Azure Blob Storage (or Azurite). One container holds every invoice's blobs. */
export class AzureBlobStore implements BlobStore {
  readonly kind = 'azure' as const;
  private readonly container: ContainerClient;
  private created?: Promise<unknown>;

  constructor(connectionString: string, containerName = 'invoices') {
    this.container =
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  }

  private ensureContainer() {
    this.created ??= this.container.createIfNotExists();
    return this.created;
  }

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.ensureContainer();
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await this.container
      .getBlockBlobClient(assertSafeKey(key))
      .uploadData(bytes, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  async get(key: string): Promise<Uint8Array> {
    await this.ensureContainer();
    try {
      return new Uint8Array(await this.container.getBlockBlobClient(assertSafeKey(key)).downloadToBuffer());
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async getText(key: string): Promise<string> {
    return new TextDecoder().decode(await this.get(key));
  }

  async exists(key: string): Promise<boolean> {
    await this.ensureContainer();
    return this.container.getBlockBlobClient(assertSafeKey(key)).exists();
  }

  async list(prefix: string): Promise<string[]> {
    await this.ensureContainer();
    const keys: string[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix })) keys.push(blob.name);
    return keys.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.replace(/\/$/, '') === '') throw new Error('refusing to delete the whole store');
    for (const key of await this.list(prefix)) await this.container.deleteBlob(key);
  }
}

/** Azurite's well-known development account, for UseDevelopmentStorage-style local runs. */
export function azuriteConnectionString(blobPort: number, host = '127.0.0.1'): string {
  return [
    'DefaultEndpointsProtocol=http',
    'AccountName=devstoreaccount1',
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
    `BlobEndpoint=http://${host}:${blobPort}/devstoreaccount1;`,
  ].join(';');
}
