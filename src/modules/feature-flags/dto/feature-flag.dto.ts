import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

export class SetFeatureFlagDto {
  @ApiProperty()
  @IsBoolean()
  enabled!: boolean;
}

export class FeatureFlagView {
  @ApiProperty({ example: 'webhooks' }) key!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() default!: boolean;
  @ApiProperty() description!: string;
}
