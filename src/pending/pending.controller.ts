import { All, Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ProblemException } from '../common/problem';

/**
 * Contract endpoints whose feature has not shipped yet answer 501 with a problem body saying so, rather
 * than a bare 404 that would look like a wrong path.
 */
@ApiExcludeController()
@Controller()
export class PendingController {
  @All(['v1/admin/finetune', 'v1/admin/models', 'v1/admin/models/:version/activate'])
  pending(): never {
    throw new ProblemException(
      501,
      'This endpoint is part of the API contract but is not implemented in this version yet.',
    );
  }
}
