/** A request-level Tablestore error: HTTP status plus the protobuf `Error{code,message}` body. */
export class OtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string): OtsError => new OtsError(400, 'OTSParameterInvalid', message);
export const tableNotExist = (): OtsError => new OtsError(404, 'OTSObjectNotExist', 'Requested table does not exist.');
export const conditionFailed = (): OtsError => new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
