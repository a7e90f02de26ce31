// What a mini-program writes against the types openapi-typescript generates from Kepu's
// OpenAPI document (as kepu.ts beside this file): tests/api/test_openapi_clients.py generates
// them and runs tsc on this file. A wrong field name or type here fails the build.
import type { components, operations, paths } from "./kepu";

type FeedPage = operations["getFeed"]["responses"][200]["content"]["application/json"];
type FeedQuery = NonNullable<operations["getFeed"]["parameters"]["query"]>;
type Card = components["schemas"]["CardOut"];
type Content = operations["getContent"]["responses"][200]["content"]["application/json"];
type ContentPath = operations["getContent"]["parameters"]["path"];
type Conditional = NonNullable<operations["getContent"]["parameters"]["header"]>;
type Problem = components["schemas"]["ProblemDetails"];

export const detailPath: keyof paths = "/api/v1/contents/{content_id}";

export function titles(page: FeedPage): string[] {
  return page.items.map((card: Card) => card.title);
}

export function nextPage(page: FeedPage, query: FeedQuery): FeedQuery | null {
  return page.next_cursor ? { ...query, cursor: page.next_cursor } : null;
}

export function detailUrl(path: ContentPath): string {
  return detailPath.replace("{content_id}", encodeURIComponent(path.content_id));
}

// A page kept with its ETag is asked for again with If-None-Match: 304 means keep it.
export function revalidate(
  etag: operations["getContent"]["responses"][200]["headers"]["ETag"],
): Conditional {
  return { "If-None-Match": etag };
}

export function unchanged(status: number): status is 304 {
  const notModified: keyof operations["getContent"]["responses"] = 304;
  return status === notModified;
}

export function describe(content: Content): string {
  return `${content.title} (${content.status}) by ${content.author.display_name}`;
}

export function problemCode(problem: Problem): string {
  return `${problem.status} ${problem.code}`;
}

export function notAField(card: Card): unknown {
  // @ts-expect-error: the generated types are precise, not `any`
  return card.no_such_field;
}
